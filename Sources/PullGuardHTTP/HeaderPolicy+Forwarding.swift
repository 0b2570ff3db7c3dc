import NIOHTTP1

extension HeaderPolicy {
    /// The forwarding fields of one request, decided field by field as the request's
    /// fields go by (``keeps(name:value:)``), and PullGuard's own written after them
    /// (``append(to:originalHost:)``).
    ///
    /// PullGuard sits behind the edge, so an existing `X-Forwarded-For` is kept and the
    /// peer is appended, as nginx's `$proxy_add_x_forwarded_for` does; the upstream
    /// reads the right-most entry as the one PullGuard vouches for. `X-Forwarded-Proto`
    /// and `-Host` are replaced, not appended: they describe this hop, which is always TLS.
    struct ForwardingFields {
        let clientIP: String?
        /// The client's `X-Forwarded-For` fields, when the peer is appended to them.
        private var clientForwardedFor: [(String, String)] = []

        private static let forwardedFor = HeaderNameMatcher(["x-forwarded-for"])
        private static let replaced = HeaderNameMatcher(["x-forwarded-proto", "x-forwarded-host"])

        init(clientIP: String?) {
            self.clientIP = clientIP
        }

        /// False for a field PullGuard writes itself: `X-Forwarded-Proto` and `-Host`
        /// always, `X-Forwarded-For` when there is a peer to append (its list is kept
        /// here and written again with the peer at its end).
        mutating func keeps(name: String, value: String) -> Bool {
            if Self.replaced.matches(name) { return false }
            guard clientIP != nil, Self.forwardedFor.matches(name) else { return true }
            clientForwardedFor.append((name, value))
            return false
        }

        func append(to fields: inout [(String, String)], originalHost: String?) {
            if let clientIP {
                if clientForwardedFor.isEmpty {
                    // The usual case without an edge in front: no list to split and re-join.
                    fields.append(("X-Forwarded-For", clientIP))
                } else {
                    let existing = HTTPHeaders(clientForwardedFor)[canonicalForm: "x-forwarded-for"].map(String.init)
                    fields.append(("X-Forwarded-For", (existing + [clientIP]).joined(separator: ", ")))
                }
            }
            fields.append(("X-Forwarded-Proto", "https"))
            if let originalHost {
                fields.append(("X-Forwarded-Host", originalHost))
            }
        }
    }
}
