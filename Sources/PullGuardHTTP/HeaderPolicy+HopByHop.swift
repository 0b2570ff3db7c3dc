import NIOHTTP1

extension HeaderPolicy {
    /// Fields that describe one connection and must not be forwarded (RFC 9110 §7.6.1).
    ///
    /// `Transfer-Encoding` is included because each side's encoder re-frames the
    /// body; `TE` is dropped whole (we never forward trailers-acceptance).
    static let hopByHopNames: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
        "upgrade", "proxy-authenticate", "proxy-authorization",
    ]

    static let hopByHopMatcher = HeaderNameMatcher(hopByHopNames)
    private static let connectionMatcher = HeaderNameMatcher(["connection"])

    /// Fields a `Connection` token can never remove: the body's framing and `Host`.
    ///
    /// `Connection: Content-Length` once made PullGuard forward a body without its
    /// length, so the upstream read the body as a second, unchecked request; and
    /// `Connection: Host` stripped the name Host binding had just checked. Neither
    /// field describes only this hop, so RFC 9110 §7.6.1 gives the token no power
    /// over them. (`Transfer-Encoding` is hop-by-hop anyway and re-stated by the
    /// request rewrite.)
    static let connectionProofNames: Set<String> = ["content-length", "host"]
    private static let connectionProofMatcher = HeaderNameMatcher(connectionProofNames)

    /// Removes the fixed hop-by-hop fields and every field named by a `Connection`
    /// token, except the framing fields and `Host` (``connectionProofNames``).
    ///
    /// One pass that allocates only when a hop-by-hop field is present: a message
    /// without a `Connection` field has no tokens naming others either. Tokens that are
    /// fixed hop-by-hop names already (`keep-alive`, `upgrade`, `te`: nearly all of them
    /// in practice) are not searched for a second time.
    public static func removeHopByHop(from headers: inout HTTPHeaders) {
        var doomed: [String] = []
        for header in headers where hopByHopMatcher.matches(header.name) {
            doomed.append(header.name)
            guard connectionMatcher.matches(header.name) else { continue }
            forEachToken(in: header.value) { token in
                if !hopByHopMatcher.matches(utf8: token), !connectionProofMatcher.matches(utf8: token) {
                    doomed.append(String(decoding: token, as: UTF8.self))
                }
            }
        }
        // `remove(name:)` compares names case-insensitively, as HTTP does.
        for name in doomed {
            headers.remove(name: name)
        }
    }

    /// Calls `body` with each non-empty comma-separated token of a list-valued field,
    /// trimmed of spaces and tabs, as bytes: no array of substrings per message.
    package static func forEachToken(in value: String, _ body: (Substring.UTF8View) -> Void) {
        let bytes = value.utf8
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: ",")) ?? bytes.endIndex
            var low = start
            var high = end
            while low < high, bytes[low].isSpaceOrTab { low = bytes.index(after: low) }
            while low < high, bytes[bytes.index(before: high)].isSpaceOrTab { high = bytes.index(before: high) }
            if low < high { body(bytes[low..<high]) }
            start = end == bytes.endIndex ? end : bytes.index(after: end)
        }
    }
}
