import NIOHTTP1
import Testing
@testable import PullGuardHTTP

@Suite struct HTTPRequestFramingTests {
    func decide(_ method: HTTPMethod, _ headers: [(String, String)]) -> RequestFraming.Decision {
        RequestFraming.decide(method: method, headers: HTTPHeaders(headers))
    }

    @Test func traceAndConnectAreRefusedWithOrWithoutABody() {
        for method in [HTTPMethod.TRACE, .CONNECT] {
            #expect(decide(method, []) == .refuse(.methodNotAllowed))
            #expect(decide(method, [("Content-Length", "5")]) == .refuse(.methodNotAllowed))
        }
    }

    @Test func framingIsReadAsTheDecoderReadIt() {
        #expect(decide(.GET, [("Host", "a")]) == .forward(.none))
        #expect(decide(.GET, [("content-LENGTH", "12")]) == .forward(.contentLength("12")))
        #expect(decide(.GET, [("Content-Length", " 12\t")]) == .forward(.contentLength("12")))
        #expect(decide(.RAW(value: "PURGE"), [("Transfer-Encoding", "Chunked")]) == .forward(.chunked))
        #expect(decide(.PUT, [("Transfer-Encoding", " chunked\t")]) == .forward(.chunked))
    }

    @Test func otherCodingsAre501() {
        for value in ["gzip, chunked", "chunked, chunked", "identity", "chunked,", "", "xchunked"] {
            #expect(decide(.POST, [("Transfer-Encoding", value)]) == .refuse(.unsupportedTransferCoding), "\(value)")
        }
        #expect(decide(.POST, [("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")])
                == .refuse(.unsupportedTransferCoding))
    }

    @Test func contradictoryFramingIsAmbiguous() {
        #expect(decide(.POST, [("Content-Length", "3"), ("Transfer-Encoding", "chunked")]) == .refuse(.ambiguous))
        #expect(decide(.POST, [("Content-Length", "3"), ("Content-Length", "3")]) == .refuse(.ambiguous))
        #expect(decide(.POST, [("Content-Length", "+3")]) == .refuse(.ambiguous))
        #expect(decide(.POST, [("Content-Length", "3, 3")]) == .refuse(.ambiguous))
        #expect(decide(.POST, [("Content-Length", "")]) == .refuse(.ambiguous))
    }

    /// The rewrite re-states the framing whatever the `Connection` field named.
    @Test func rewriteKeepsTheFramingThroughConnectionTokens() {
        let context = HeaderPolicy.RequestContext(clientIP: "192.0.2.1", verification: .none, names: .init())
        let length = HeaderPolicy.upstreamRequestHeaders(
            from: HTTPHeaders([("Host", "a"), ("Content-Length", "7"), ("Connection", "Content-Length, host")]),
            context: context, framing: .contentLength("7"))
        #expect(length[canonicalForm: "content-length"] == ["7"])
        #expect(length["host"] == ["a"])
        #expect(!length.contains(name: "transfer-encoding"))
        let chunked = HeaderPolicy.upstreamRequestHeaders(
            from: HTTPHeaders([("Host", "a"), ("Transfer-Encoding", "chunked"), ("Connection", "transfer-encoding")]),
            context: context, framing: .chunked)
        #expect(chunked[canonicalForm: "transfer-encoding"] == ["chunked"])
        #expect(!chunked.contains(name: "content-length"))
    }
}
