import NIOHTTP1
import PullGuardCore

/// How PullGuard rewrites HTTP/1.1 headers between the client and the upstream.
///
/// Overview: the proxy calls ``upstreamRequestHeaders(from:context:framing:requestID:generate:)``
/// once per request, and once per response ``forEachDownstreamResponseField(of:_:)`` on the
/// upstream head's bytes (HTTP/1.1 through `HTTP1ResponseWriter`, and HTTP/2).
/// Everything here is a pure function on headers or their bytes, so that the
/// security-relevant parts (anti-spoofing, identity headers) are unit tested without
/// sockets. The facets
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
    /// computed once, not on every keep-alive request. A class: a handler hands it to
    /// the rewrite on every request, and as a struct each hand-over copied its strings
    /// and arrays (a retain and a release each, ~700 instructions a request).
    public final class RequestContext: Sendable {
        /// The client's IP address (no port), appended to `X-Forwarded-For`.
        public let clientIP: String?
        public let verification: VerificationOutcome
        public let names: IdentityHeaderNames
        /// The headers PullGuard adds for this connection's verdict, written after the
        /// request's own (`HTTP1RequestWriter.writeHead(_:appending:into:)`): the same on
        /// every request, so encoded once.
        public let identityLines: HTTP1FieldLines
        /// Picks the names dropped from every incoming request on this connection.
        let removalRule: RemovalRule

        /// - Parameter spoofable: the matchers for `names`, built once per configuration
        ///   (`SpoofableNames`); built here when not given.
        public init(clientIP: String?, verification: VerificationOutcome, names: IdentityHeaderNames,
                    spoofable: SpoofableNames? = nil) {
            self.clientIP = clientIP
            self.verification = verification
            self.names = names
            identityLines = HTTP1FieldLines(HeaderPolicy.identityHeaders(for: verification, names: names))
            removalRule = (spoofable ?? SpoofableNames(names: names)).rule(for: verification)
        }
    }


    /// The headers of a request as it is sent upstream.
    ///
    /// A client's field is dropped when it is hop-by-hop or named by a `Connection`
    /// token (`+HopByHop`), when it would impersonate an identity header or is a
    /// look-alike with `_` (`+AntiSpoofing`), or when it is a forwarding field PullGuard
    /// replaces (`+Forwarding`). PullGuard's own fields are added only after that pass,
    /// so no token can remove them and nothing the client sent survives under an
    /// identity header's name. The identity headers themselves are not in the result:
    /// the writer puts `context.identityLines` after it.
    ///
    /// Each field is decided once and the result wrapped into `HTTPHeaders` once:
    /// copying the headers and then removing and adding through `HTTPHeaders` (each
    /// `remove` a pass and a new array, each `add` a check of the name) cost ~7% of an
    /// HTTP/2 request's instructions (callgrind).
    ///
    /// - Parameters:
    ///   - framing: what ``RequestFraming/decide(method:headers:)`` read from `incoming`.
    ///     It is re-stated on the result: `Transfer-Encoding` is hop-by-hop and dropped,
    ///     so a chunked body gets `Transfer-Encoding: chunked` again; `Content-Length`
    ///     cannot be removed by a `Connection` token and stays as the decoder read it.
    ///   - requestID: the request id step (`headers.request_id`), nil when off.
    ///   - generate: makes a new id, called only when the client's own does not stay.
    /// - Returns: the headers, and the id they carry (nil without `requestID`).
    public static func upstreamRequestHeaders(from incoming: HTTPHeaders, context: RequestContext,
                                              framing: RequestFraming, requestID: RequestIDPolicy.Pass?,
                                              generate: () -> String) -> (headers: HTTPHeaders, requestID: String?) {
        var requestID = requestID
        let tokens = ConnectionTokens(incoming)
        var forwarding = ForwardingFields(clientIP: context.clientIP)
        var fields: [(String, String)] = []
        // Room for the forwarding fields, the framing and a request id: no regrowth.
        fields.reserveCapacity(incoming.count + 5)
        var originalHost: String?
        var keptContentLength: String?
        for (name, value) in incoming {
            if originalHost == nil, hostName.matches(name) { originalHost = value }
            guard !tokens.isHopByHop(name), !context.removalRule.removes(name),
                  forwarding.keeps(name: name, value: value),
                  requestID?.keeps(name: name, value: value, position: fields.count) ?? true else { continue }
            if keptContentLength == nil, RequestFraming.contentLengthName.matches(name) { keptContentLength = value }
            fields.append((name, value))
        }
        // A client's id that stays goes back where it stood; a new one goes after the request's fields.
        let keptID = requestID?.keptCopy
        if let keptID { fields.insert(keptID.field, at: keptID.position) }
        forwarding.append(to: &fields, originalHost: originalHost)
        switch framing {
        case .none:
            break
        case .contentLength(let value):
            // Kept by the hop-by-hop rule; checked rather than trusted, since a lost length
            // is exactly the smuggling this guards against.
            if keptContentLength != value {
                fields.removeAll { RequestFraming.contentLengthName.matches($0.0) }
                fields.append(("content-length", value))
            }
        case .chunked:
            fields.append(("transfer-encoding", "chunked"))
        }
        guard let requestID else { return (HTTPHeaders(fields), nil) }
        if let keptID { return (HTTPHeaders(fields), keptID.field.1) }
        let id = generate()
        fields.append((requestID.policy.name, id))
        return (HTTPHeaders(fields), id)
    }

    /// The same without a request id.
    public static func upstreamRequestHeaders(from incoming: HTTPHeaders, context: RequestContext,
                                              framing: RequestFraming) -> HTTPHeaders {
        upstreamRequestHeaders(from: incoming, context: context, framing: framing, requestID: nil, generate: { "" }).headers
    }

    private static let hostName = HeaderNameMatcher(["host"])

    /// The same for a request whose framing has not been decided yet (tests only: a
    /// refused framing is forwarded with none, which the proxy path never does).
    static func upstreamRequestHeaders(from incoming: HTTPHeaders, context: RequestContext) -> HTTPHeaders {
        let framing: RequestFraming
        switch RequestFraming.decide(method: .GET, headers: incoming) {
        case .forward(let decided): framing = decided
        case .refuse: framing = .none
        }
        return upstreamRequestHeaders(from: incoming, context: context, framing: framing)
    }
}
