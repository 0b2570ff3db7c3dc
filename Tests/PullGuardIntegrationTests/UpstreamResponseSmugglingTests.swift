import Foundation
import Testing

/// A misbehaving upstream through the real binary: what a raw TLS client (Python `ssl`,
/// two requests pipelined on one connection) receives when the upstream answers with a
/// response PullGuard must not frame, or with more than one response.
@Suite(.serialized) struct UpstreamResponseSmugglingTests {
    static let twoRequests = "GET /first HTTP/1.1\r\nHost: x.example.com\r\n\r\n"
        + "GET /second HTTP/1.1\r\nHost: x.example.com\r\nConnection: close\r\n\r\n"

    /// The upstream answers `/first` with `first` (bytes as given) and `/second` properly.
    static func answering(first: String) -> StrictRecordingUpstream.Answer {
        { request in request.target == "/first" ? first : "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nsecond\n" }
    }

    /// The upstream answers `/first` twice in one write. The surplus answer must fail that
    /// upstream connection, not become the answer to `/second` on the pooled connection.
    @Test func aSecondResponseNeverAnswersTheNextRequest() async throws {
        let twice = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nfirst\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nevil\n"
        try await StrictUpstreamScenario.withConfig(RequestSmugglingTests.config, answer: Self.answering(first: twice)) {
            (scenario) async throws in
            let result = try scenario.rawTLS(Self.twoRequests, sni: "x.example.com")
            #expect(scenario.upstream.requests.map(\.target) == ["/first", "/second"])
            #expect(result.stdout.contains("\r\n\r\nfirst\n") && result.stdout.contains("\r\n\r\nsecond\n"),
                    "\(result.stdout)\(result.stderr)")
            #expect(!result.stdout.contains("evil"), "\(result.stdout)")
        }
    }

    /// `Content-Length` beside `Transfer-Encoding: chunked`: a 502 naming the reason; the
    /// client connection serves the next request from a fresh upstream connection.
    @Test func lengthAndChunkedIs502() async throws {
        let both = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nevil\r\n0\r\n\r\n"
        try await StrictUpstreamScenario.withConfig(RequestSmugglingTests.config, answer: Self.answering(first: both)) {
            (scenario) async throws in
            let result = try scenario.rawTLS(Self.twoRequests, sni: "x.example.com")
            let statuses = result.stdout.components(separatedBy: .newlines).filter { $0.hasPrefix("HTTP/1.1 ") }
            #expect(statuses == ["HTTP/1.1 502 Bad Gateway", "HTTP/1.1 200 OK"], "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("response refused: both Content-Length and Transfer-Encoding"))
            #expect(!result.stdout.contains("evil"), "\(result.stdout)")
        }
    }
}
