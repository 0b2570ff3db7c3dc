import NIOHTTP1
import PullGuardCore
@testable import PullGuardHTTP

/// One policy at a time on `HTTPHeaders`: the rules the request rewrite and the response
/// walk apply in one pass (`upstreamRequestHeaders`, `forEachDownstreamResponseField`),
/// applied here one by one through the same matchers, so each can be tested alone and
/// the one-pass paths compared against their composition.
extension HeaderPolicy {
    /// Removes the fixed hop-by-hop fields and every field named by a `Connection`
    /// token, except the framing fields and `Host` (``connectionProofNames``): the fields
    /// ``ConnectionTokens/isHopByHop(_:)`` names, the one rule the response walk and the
    /// request rewrite apply.
    static func removeHopByHop(from headers: inout HTTPHeaders) {
        let tokens = ConnectionTokens(headers)
        guard headers.contains(where: { tokens.isHopByHop($0.name) }) else { return }
        var kept: [(String, String)] = []
        kept.reserveCapacity(headers.count)
        for header in headers where !tokens.isHopByHop(header.name) { kept.append((header.name, header.value)) }
        headers = HTTPHeaders(kept)
    }

    /// The headers of an upstream response as it is sent to the client.
    ///
    /// Framing headers are dropped with the other hop-by-hop fields; NIO's
    /// response encoder adds `Transfer-Encoding: chunked` again when there is no
    /// `Content-Length`, so a chunked upstream response stays chunked.
    static func downstreamResponseHeaders(from upstream: HTTPHeaders) -> HTTPHeaders {
        var headers = upstream
        removeHopByHop(from: &headers)
        return headers
    }

    /// Removes incoming headers that would impersonate PullGuard's verdict or the edge.
    ///
    /// Names are compared in `HeaderNameForm`, so `x_client_VERIFY` is caught.
    /// `CF-Connecting-IP` and `True-Client-IP` stay only when the client is Cloudflare
    /// itself (a verified chain ending at the pinned AOP CA): only then does someone we
    /// trust vouch for them.
    static func removeSpoofable(from headers: inout HTTPHeaders, names: IdentityHeaderNames,
                                verification: VerificationOutcome, allowUnderscores: Bool = false) {
        let rule = SpoofableNames(names: names, allowUnderscores: allowUnderscores).rule(for: verification)
        let present = headers.map(\.name).filter(rule.removes)
        for name in present { headers.remove(name: name) }
    }

    /// Adds `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Forwarded-Host`.
    ///
    /// PullGuard sits behind the edge, so an existing `X-Forwarded-For` is kept and the
    /// peer is appended, as nginx's `$proxy_add_x_forwarded_for` does; the upstream
    /// reads the right-most entry as the one PullGuard vouches for. Proto and Host are
    /// replaced, not appended: they describe this hop, which is always TLS.
    static func addForwarding(to headers: inout HTTPHeaders, clientIP: String?, originalHost: String?) {
        var forwarding = ForwardingFields(clientIP: clientIP)
        var fields: [(String, String)] = []
        fields.reserveCapacity(headers.count + 3)
        for (name, value) in headers where forwarding.keeps(name: name, value: value) {
            fields.append((name, value))
        }
        forwarding.append(to: &fields, originalHost: originalHost)
        headers = HTTPHeaders(fields)
    }

    /// An upstream's whole response head as `HTTPHeaders` after the walk both downstream
    /// paths take (``forEachDownstreamResponseField(of:_:)``), with whether the upstream
    /// keeps its connection open: what the HTTP/1.1 path handed NIO's response encoder
    /// before `HTTP1ResponseWriter` wrote the fields from the bytes.
    static func downstreamResponse(_ head: UpstreamResponseHead) -> (headers: HTTPHeaders, upstreamKeepAlive: Bool) {
        var fields: [(String, String)] = []
        fields.reserveCapacity(12)
        let keepAlive = forEachDownstreamResponseField(of: head) { name, value in
            fields.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
        return (HTTPHeaders(fields), keepAlive)
    }
}
