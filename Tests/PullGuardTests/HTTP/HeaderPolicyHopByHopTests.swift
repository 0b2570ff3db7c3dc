import NIOHTTP1
import Testing
@testable import PullGuard

@Suite struct HTTPHeaderPolicyHopByHopTests {
    @Test func removesFixedHopByHopFields() {
        var headers = HTTPHeaders([
            ("Connection", "keep-alive"), ("Keep-Alive", "timeout=5"), ("Proxy-Connection", "keep-alive"),
            ("TE", "trailers"), ("Trailer", "X-Sum"), ("Transfer-Encoding", "chunked"), ("Upgrade", "h2c"),
            ("Proxy-Authenticate", "Basic"), ("Proxy-Authorization", "Basic Zm9v"), ("Accept", "*/*"),
        ])
        HeaderPolicy.removeHopByHop(from: &headers)
        #expect(headers.map(\.name) == ["Accept"])
    }

    @Test func removesFieldsNamedByConnectionTokens() {
        var headers = HTTPHeaders([("Connection", "close, X-Secret ,x-other"), ("x-secret", "1"),
                                   ("X-Other", "2"), ("X-Kept", "3")])
        HeaderPolicy.removeHopByHop(from: &headers)
        #expect(headers.map(\.name) == ["X-Kept"])
    }

    @Test func chunkedRequestStaysFramedUpstream() {
        let incoming = HTTPHeaders([("Host", "a.example"), ("Transfer-Encoding", "chunked")])
        let out = HeaderPolicy.upstreamRequestHeaders(
            from: incoming, context: .init(clientIP: "192.0.2.1", verification: .none, names: .init()))
        #expect(out[canonicalForm: "transfer-encoding"] == ["chunked"])
    }

    @Test func responseLosesFramingAndConnectionFields() {
        let out = HeaderPolicy.downstreamResponseHeaders(from: HTTPHeaders([
            ("Transfer-Encoding", "chunked"), ("Connection", "close"), ("Content-Type", "text/plain"),
        ]))
        #expect(out.map(\.name) == ["Content-Type"])
    }
}
