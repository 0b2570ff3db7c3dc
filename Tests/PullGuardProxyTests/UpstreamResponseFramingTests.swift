import NIOCore
import PullGuardTestSupport
import Testing
@testable import PullGuardProxy

/// What an upstream's responses do to the client connection and to the pool, through
/// `HTTPProxyHandler` and `UpstreamConnection`: a response PullGuard cannot frame is a
/// 502 and its connection is never reused; bytes an upstream sends beyond its answer
/// never become another request's answer.
@Suite struct UpstreamResponseFramingTests {
    static let get = "GET /1 HTTP/1.1\r\nHost: a.example\r\n\r\n"
    static let getAgain = "GET /2 HTTP/1.1\r\nHost: a.example\r\n\r\n"

    func status(_ response: String) -> String { String(decoding: response.utf8.prefix { $0 != 13 }, as: UTF8.self) }

    @Test(arguments: [
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        "HTTP/1.1 200 OK\r\nX-A: a\r\n folded\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\nContent-Length: 0\n\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz",
    ])
    func unframableResponseIs502AndTheConnectionIsDropped(response: String) throws {
        let proxy = try InMemoryProxy()
        proxy.send(Self.get)
        try proxy.respond(0, response)
        let answer = try proxy.clientText()
        #expect(status(answer) == "HTTP/1.1 502 Bad Gateway", "\(answer)")
        #expect(answer.contains("response refused: "), "the reason is named: \(answer)")
        #expect(!proxy.upstreams[0].isActive)
        // The client connection goes on; its next request opens a fresh upstream connection.
        proxy.send(Self.getAgain)
        #expect(proxy.upstreams.count == 2)
        #expect(try proxy.upstreamRequests().map(\.target) == ["/1", "/2"])
    }

    @Test func aSecondResponseBehindTheFirstNeverAnswersTheNextRequest() throws {
        let proxy = try InMemoryProxy()
        proxy.send(Self.get)
        try proxy.respond(0, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil")
        let first = try proxy.clientText()
        #expect(first.hasPrefix("HTTP/1.1 200 OK\r\n") && first.hasSuffix("\r\n\r\nok"), "\(first)")
        #expect(!proxy.upstreams[0].isActive, "the connection that spoke out of turn is closed")

        proxy.send(Self.getAgain)
        #expect(proxy.upstreams.count == 2, "the next request goes on a fresh connection")
        try proxy.respond(1, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond")
        let second = try proxy.clientText()
        #expect(second.hasSuffix("\r\n\r\nsecond") && !second.contains("evil"), "\(second)")
    }

    /// The same with the next request already waiting (pipelined): it is handed an
    /// upstream connection the moment the first response ends, and that must not be the
    /// one with the surplus bytes.
    @Test func aPipelinedRequestIsNotHandedTheConnectionThatSpokeOutOfTurn() throws {
        let proxy = try InMemoryProxy()
        proxy.send(Self.get + Self.getAgain)
        try proxy.respond(0, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil")
        #expect(proxy.upstreams.count == 2)
        #expect(try StrictHTTPRequestParser.parseAll(try proxy.upstreamBytes(0)).map(\.target) == ["/1"],
                "nothing more was written to the first connection")
        try proxy.respond(1, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond")
        let text = try proxy.clientText()
        #expect(text.hasSuffix("\r\n\r\nsecond") && !text.contains("evil") && !text.contains("502"), "\(text)")
    }

    @Test func headResponseLengthIsNotABodyAndTheConnectionIsReused() throws {
        let proxy = try InMemoryProxy()
        proxy.send("HEAD /1 HTTP/1.1\r\nHost: a.example\r\n\r\n")
        try proxy.respond(0, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        let head = try proxy.clientText()
        #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n") && head.contains("content-length: 1000") || head.contains("Content-Length: 1000"))
        proxy.send(Self.getAgain)
        #expect(proxy.upstreams.count == 1, "the pooled connection serves the next request")
        try proxy.respond(0, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
        #expect(try proxy.clientText().hasSuffix("\r\n\r\nhello"))
    }

    @Test func chunkedResponseReachesTheClientWhole() throws {
        let proxy = try InMemoryProxy()
        proxy.send(Self.get)
        try proxy.respond(0, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n")
        try proxy.respond(0, "6\r\n world\r\n0\r\nX-Trailer: dropped\r\n\r\n")
        let response = try proxy.clientText()
        #expect(response.contains("hello") && response.contains(" world") && !response.contains("X-Trailer"), "\(response)")
        proxy.send(Self.getAgain)
        #expect(proxy.upstreams.count == 1, "a complete chunked response leaves the connection reusable")
    }

    /// With neither `Content-Length` nor `Transfer-Encoding`, the body runs to the close
    /// (an HTTP/1.0 upstream); it reaches the client whole, and the connection is not reused.
    @Test func bodyDelimitedByTheCloseEndsTheExchange() throws {
        let proxy = try InMemoryProxy()
        proxy.send(Self.get)
        try proxy.respond(0, "HTTP/1.0 200 OK\r\n\r\nuntil the")
        try proxy.respond(0, " close")
        try proxy.upstreams[0].close().wait()
        let response = try proxy.clientText()
        #expect(response.contains("until the") && response.contains(" close"), "\(response)")
        proxy.send(Self.getAgain)
        #expect(proxy.upstreams.count == 2)
    }

    /// A bodiless POST goes upstream with no framing at all, where NIO's encoder added
    /// `Transfer-Encoding: chunked` and an empty last chunk.
    @Test func bodilessPostHasNoFraming() throws {
        let proxy = try InMemoryProxy()
        proxy.send("POST /form HTTP/1.1\r\nHost: a.example\r\n\r\n")
        let request = try #require(try proxy.upstreamRequests().first)
        #expect(request.values("transfer-encoding").isEmpty && request.values("content-length").isEmpty)
        #expect(request.body.isEmpty)
    }
}
