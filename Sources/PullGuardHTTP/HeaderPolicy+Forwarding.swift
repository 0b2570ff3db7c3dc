import NIOHTTP1

extension HeaderPolicy {
    /// Adds `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Forwarded-Host`.
    ///
    /// PullGuard sits behind the edge, so an existing `X-Forwarded-For` is kept and the
    /// peer is appended, as nginx's `$proxy_add_x_forwarded_for` does; the upstream
    /// reads the right-most entry as the one PullGuard vouches for. Proto and Host are
    /// replaced, not appended: they describe this hop, which is always TLS.
    public static func addForwarding(to headers: inout HTTPHeaders, clientIP: String?, originalHost: String?) {
        if let clientIP {
            if headers.contains(name: "x-forwarded-for") {
                let existing = headers[canonicalForm: "x-forwarded-for"].map(String.init)
                headers.remove(name: "x-forwarded-for")
                headers.add(name: "X-Forwarded-For", value: (existing + [clientIP]).joined(separator: ", "))
            } else {
                // The usual case without an edge in front: no list to split and re-join.
                headers.add(name: "X-Forwarded-For", value: clientIP)
            }
        }
        headers.replaceOrAdd(name: "X-Forwarded-Proto", value: "https")
        headers.remove(name: "x-forwarded-host")
        if let originalHost {
            headers.add(name: "X-Forwarded-Host", value: originalHost)
        }
    }
}
