import NIOCore
import PullGuardCore

/// `headers:`, `timeouts:` and the proxy's `limits:`, the proxy-wide settings.
extension ConfigValidator {
    mutating func identityHeaders(_ document: HeadersDocument) -> IdentityHeaderNames {
        var names = IdentityHeaderNames()
        var seen: [String: String] = [:]
        let fields: [(ConfigField<String>, WritableKeyPath<IdentityHeaderNames, String>)] = [
            (document.verify, \.verify), (document.subject, \.subject), (document.issuer, \.issuer),
            (document.serial, \.serial), (document.fingerprint, \.fingerprint), (document.notAfter, \.notAfter),
        ]
        for (field, keyPath) in fields {
            if let name = field.value {
                if !ValueCheck.isHeaderName(name) {
                    report(field.keyPath, "'\(name)' is not a valid HTTP header name")
                } else if let owner = Self.ownedName(matching: name) {
                    report(field.keyPath, "'\(name)' is a header PullGuard already sets or reads (\(owner))")
                } else {
                    names[keyPath: keyPath] = name
                }
            }
            // Two identity values under one name would let one overwrite the other upstream.
            let effective = HeaderNameForm.of(names[keyPath: keyPath])
            if let first = seen[effective] {
                report(field.keyPath, "'\(names[keyPath: keyPath])' is already used by \(first)")
            } else {
                seen[effective] = field.keyPath
            }
        }
        names.rfc9440 = document.rfc9440.value ?? false
        return names
    }

    /// Names that frame, route or forward a request, or are hop-by-hop (RFC 9110 §7.6.1),
    /// and RFC 9440's: PullGuard writes or reads each for its own purpose, so an identity
    /// header or the request id under one would reach the upstream beside, or as, that
    /// field (`subject: Content-Length` would give every request a second length).
    static let namesPullGuardOwns = [
        "Host", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Proxy-Connection", "TE",
        "Trailer", "Upgrade", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Client-Cert",
        "Client-Cert-Chain",
    ]

    /// The one of `namesPullGuardOwns` that `name` is as an upstream reads it
    /// (`HeaderNameForm`), if any.
    static func ownedName(matching name: String) -> String? {
        let form = HeaderNameForm.of(name)
        return namesPullGuardOwns.first { HeaderNameForm.of($0) == form }
    }

    mutating func proxyTimeouts(_ document: TimeoutsDocument) -> ProxyTimeouts {
        var timeouts = ProxyTimeouts()
        let fields: [(ConfigField<String>, WritableKeyPath<ProxyTimeouts, TimeAmount>)] = [
            (document.upstreamConnect, \.upstreamConnect),
            (document.upstreamResponse, \.upstreamResponse),
            (document.clientIdle, \.downstreamIdle),
            (document.clientHeader, \.clientHeader),
            (document.clientBody, \.clientBody),
            (document.clientSend, \.clientSend),
            (document.tunnelIdle, \.tunnelIdle),
        ]
        for (field, keyPath) in fields {
            if let amount = duration(field) { timeouts[keyPath: keyPath] = amount }
        }
        return timeouts
    }

    /// `limits.max_upstream_connections_per_site`: 0 means no cap, as in nginx's `max_conns=0`.
    mutating func upstreamConnectionLimit(_ document: LimitsDocument) -> Int? {
        let field = document.maxUpstreamConnectionsPerSite
        guard field.value != nil else { return ProxySettings.defaultMaxUpstreamConnectionsPerSite }
        guard let value = integer(field, in: 0...1_000_000, note: "0: no cap") else { return nil }
        return value == 0 ? nil : value
    }
}
