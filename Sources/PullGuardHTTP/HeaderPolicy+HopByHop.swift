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

    /// Calls `body` with each field of an upstream response that goes on to the client:
    /// every field but those ``ConnectionTokens/isHopByHop(_:)`` names, read from the head's
    /// bytes without building headers (the HTTP/2 path copies them straight into its header block).
    /// - Returns: whether the upstream keeps the connection open after this response.
    @discardableResult
    public static func forEachDownstreamResponseField(
        of head: UpstreamResponseHead, _ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Void
    ) -> Bool {
        let tokens = ConnectionTokens(head)
        head.forEachField { name, value in
            if !tokens.isHopByHop(utf8: name) { body(name, value) }
        }
        return tokens.keepsAlive(version: head.version)
    }

    /// What the `Connection` fields of a message say, in one pass that allocates only for
    /// a token naming another field (rare: nearly every token is `keep-alive` or `close`).
    struct ConnectionTokens {
        /// Fields named by a token, except the fixed hop-by-hop names (removed anyway)
        /// and ``connectionProofNames``.
        var nominated: [String] = []
        var close = false
        var keepAliveTokens = 0

        /// Whether the connection stays open after this message, as NIO's `isKeepAlive`
        /// reads it, without its array of substrings per message: `close`, or more than one
        /// `keep-alive`, closes; one `keep-alive` keeps it open; neither is the version's
        /// default (HTTP/1.1 open, HTTP/1.0 closed).
        func keepsAlive(version: HTTPVersion) -> Bool {
            guard version.major == 1 else { return false }
            if close || keepAliveTokens > 1 { return false }
            return keepAliveTokens == 1 || version.minor >= 1
        }

        /// A fixed hop-by-hop name, or a name a token nominated, compared as HTTP
        /// compares names (the comparison `HTTPHeaders.remove(name:)` makes).
        func isHopByHop(_ name: String) -> Bool {
            var name = name
            return name.withUTF8 { isHopByHop(utf8: UnsafeRawBufferPointer($0)) }
        }

        /// The same on a name's bytes.
        func isHopByHop(utf8 name: UnsafeRawBufferPointer) -> Bool {
            if hopByHopMatcher.matches(utf8: name) { return true }
            guard !nominated.isEmpty else { return false }
            // Tokens and names are tokens, ASCII: ASCII case folding is HTTP's comparison.
            return nominated.contains { nominee in
                nominee.utf8.count == name.count && zip(nominee.utf8, name).allSatisfy { $0.asciiLowercased == $1.asciiLowercased }
            }
        }

        private static let closeToken = HeaderNameMatcher(["close"])
        private static let keepAliveToken = HeaderNameMatcher(["keep-alive"])

        init(_ headers: HTTPHeaders) {
            for header in headers where connectionMatcher.matches(header.name) {
                forEachToken(in: header.value) { note($0) }
            }
        }

        init(_ head: UpstreamResponseHead) {
            head.forEachField { name, value in
                guard connectionMatcher.matches(utf8: name) else { return }
                forEachToken(in: value) { note($0) }
            }
        }

        private mutating func note(_ token: UnsafeRawBufferPointer) {
            if Self.closeToken.matches(utf8: token) {
                close = true
            } else if Self.keepAliveToken.matches(utf8: token) {
                keepAliveTokens += 1
            } else if !hopByHopMatcher.matches(utf8: token), !connectionProofMatcher.matches(utf8: token) {
                nominated.append(String(decoding: token, as: UTF8.self))
            }
        }
    }

    /// Calls `body` with each non-empty comma-separated token of a list-valued field,
    /// trimmed of spaces and tabs, as bytes: no array of substrings per message.
    package static func forEachToken(in value: String, _ body: (UnsafeRawBufferPointer) -> Void) {
        var value = value
        value.withUTF8 { forEachToken(in: UnsafeRawBufferPointer($0), body) }
    }

    /// The same on a value's bytes.
    package static func forEachToken(in bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var start = 0
        while start < bytes.count {
            let end = bytes.firstIndex(of: UInt8(ascii: ","), in: start..<bytes.count) ?? bytes.count
            var low = start
            var high = end
            while low < high, bytes[low].isSpaceOrTab { low += 1 }
            while low < high, bytes[high - 1].isSpaceOrTab { high -= 1 }
            if low < high { body(UnsafeRawBufferPointer(rebasing: bytes[low..<high])) }
            start = end + 1
        }
    }
}
