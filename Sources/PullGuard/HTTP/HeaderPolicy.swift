import NIOHTTP1

/// How PullGuard rewrites HTTP/1.1 headers between the client and the upstream.
///
/// Overview: the proxy calls ``upstreamRequestHeaders(from:context:)`` once per
/// request and ``downstreamResponseHeaders(from:)`` once per response. Everything
/// here is a pure function on `HTTPHeaders` so that the security-relevant parts
/// (anti-spoofing, identity headers) are unit tested without sockets. The facets
/// live in `HeaderPolicy+*.swift`:
/// - `+HopByHop`: RFC 9110 §7.6.1 connection-specific fields.
/// - `+AntiSpoofing`: incoming copies of the identity headers are dropped.
/// - `+Forwarding`: `X-Forwarded-*`.
/// - `+Identity`: the verification verdict as headers, RFC 9440 included.
public enum HeaderPolicy {
    /// What the request rewrite needs to know about the connection it came on.
    ///
    /// Built once per connection (the verdict cannot change within one), so the
    /// identity header values and the set of names a client may not send are
    /// computed once, not on every keep-alive request.
    public struct RequestContext: Sendable {
        /// The client's IP address (no port), appended to `X-Forwarded-For`.
        public let clientIP: String?
        public let verification: VerificationOutcome
        public let names: IdentityHeaderNames
        /// The headers PullGuard adds for this connection's verdict.
        let identityHeaders: [(String, String)]
        /// Matches the names dropped from every incoming request on this connection.
        let spoofableMatcher: HeaderNameMatcher

        /// - Parameter spoofable: the matchers for `names`, built once per configuration
        ///   (`SpoofableNames`); built here when not given.
        public init(clientIP: String?, verification: VerificationOutcome, names: IdentityHeaderNames,
                    spoofable: SpoofableNames? = nil) {
            self.clientIP = clientIP
            self.verification = verification
            self.names = names
            identityHeaders = HeaderPolicy.identityHeaders(for: verification, names: names)
            spoofableMatcher = (spoofable ?? SpoofableNames(names: names)).matcher(for: verification)
        }
    }


    /// The headers of a request as it is sent upstream.
    ///
    /// Order matters: hop-by-hop fields go first (a `Connection` token could
    /// otherwise name a header we add), then spoofed identity headers, and only
    /// then PullGuard's own headers are added, so nothing the client sent can
    /// survive under an identity header's name.
    public static func upstreamRequestHeaders(from incoming: HTTPHeaders, context: RequestContext) -> HTTPHeaders {
        var headers = incoming
        // The decoder only accepts `Transfer-Encoding: chunked` as the final coding;
        // removing it as hop-by-hop would leave a body without framing, which an
        // upstream would read as the start of the next request (smuggling). So the
        // framing is re-stated explicitly and the encoder chunks again.
        let wasChunked = !incoming.contains(name: "content-length") && incoming.contains(name: "transfer-encoding")
        removeHopByHop(from: &headers)
        removeNames(matching: context.spoofableMatcher, from: &headers)
        addForwarding(to: &headers, clientIP: context.clientIP, originalHost: incoming.first(name: "host"))
        for (name, value) in context.identityHeaders {
            headers.add(name: name, value: value)
        }
        if wasChunked {
            headers.add(name: "transfer-encoding", value: "chunked")
        }
        return headers
    }

    /// The headers of an upstream response as it is sent to the client.
    ///
    /// Framing headers are dropped with the other hop-by-hop fields; NIO's
    /// response encoder adds `Transfer-Encoding: chunked` again when there is no
    /// `Content-Length`, so a chunked upstream response stays chunked.
    public static func downstreamResponseHeaders(from upstream: HTTPHeaders) -> HTTPHeaders {
        var headers = upstream
        removeHopByHop(from: &headers)
        return headers
    }

    /// The form header names are compared in: lower case, `_` read as `-`.
    ///
    /// Some upstream stacks (CGI, PHP, WSGI, nginx with `underscores_in_headers`)
    /// map `X_Client_Verify` and `X-Client-Verify` to the same variable, so both
    /// spellings have to count as the same name for anti-spoofing.
    static func normalizedName(_ name: String) -> String {
        var bytes = Array(name.utf8)
        for index in bytes.indices {
            switch bytes[index] {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): bytes[index] += 32
            case UInt8(ascii: "_"): bytes[index] = UInt8(ascii: "-")
            default: break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Removes every header whose normalized name `matcher` matches.
    static func removeNames(matching matcher: HeaderNameMatcher, from headers: inout HTTPHeaders) {
        var present: [String] = []
        for header in headers where matcher.matches(header.name) {
            present.append(header.name)
        }
        for name in present {
            headers.remove(name: name)
        }
    }
}
