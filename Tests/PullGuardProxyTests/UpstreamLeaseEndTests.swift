import NIOCore
import PullGuardTestSupport
import Testing
@testable import PullGuardProxy

/// An upstream connection holds its delegate (the HTTP/2 stream, or the HTTP/1.1 handler)
/// strongly while leased: every way a lease ends must let go of it, or a parked connection
/// would keep a finished stream, or a closed client's handler and its buffers, alive.
@Suite struct UpstreamLeaseEndTests {
    /// How a stream's lease of an upstream connection can end.
    enum LeaseEnd: String, CaseIterable {
        case answered, resetByClient, upstreamClosed, clientGone
    }

    /// An upstream connection holds its stream strongly while leased, so every way a lease
    /// ends must let go of the stream: the stream is freed, not kept alive by the connection
    /// (parked in the pool, or closed).
    @Test(arguments: LeaseEnd.allCases)
    func aLeaseLetsGoOfItsStreamHoweverItEnds(_ end: LeaseEnd) throws {
        let proxy = try InMemoryHTTP2Proxy()
        proxy.send(HTTP2ProxyHandlerEmbeddedTests.opening + HTTP2Frames.headers(stream: 1, HTTP2Frames.get))
        _ = try proxy.frames()
        let connection = try proxy.upstreams[0].pipeline.syncOperations.handler(type: UpstreamConnection.self)
        weak var stream = proxy.handler.streams[1]
        #expect(stream != nil && connection.delegate === stream, "leased to stream 1")
        switch end {
        case .answered:
            try proxy.answer(0, "ok")
        case .resetByClient:
            try proxy.upstreams[0].writeInbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf"))
            proxy.send(HTTP2Frames.rstStream(stream: 1))
        case .upstreamClosed:
            try proxy.upstreams[0].writeInbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf"))
            proxy.upstreams[0].pipeline.fireChannelInactive()
            proxy.loop.run()
        case .clientGone:
            proxy.client.pipeline.fireChannelInactive()
            proxy.loop.run()
        }
        _ = try proxy.frames()
        #expect(connection.delegate == nil, "\(end): the connection still holds a delegate")
        #expect(stream == nil, "\(end): stream 1 outlived its lease")
    }

    /// The HTTP/1.1 handler, the delegate for the length of each exchange.
    @Test(arguments: [LeaseEnd.answered, .upstreamClosed, .clientGone])
    func aLeaseLetsGoOfItsHandlerHoweverItEnds(_ end: LeaseEnd) throws {
        let proxy = try InMemoryProxy()
        proxy.send("GET / HTTP/1.1\r\nHost: a.example\r\n\r\n")
        let connection = try proxy.upstreams[0].pipeline.syncOperations.handler(type: UpstreamConnection.self)
        #expect(connection.delegate != nil, "leased to the handler")
        switch end {
        case .answered:
            try proxy.respond(0, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        case .upstreamClosed:
            try proxy.respond(0, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf")
            proxy.upstreams[0].pipeline.fireChannelInactive()
        case .clientGone:
            try proxy.respond(0, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf")
            proxy.client.pipeline.fireChannelInactive()
        case .resetByClient:
            Issue.record("HTTP/1.1 has no stream to reset")
            return
        }
        proxy.loop.run()
        _ = try proxy.clientText()
        #expect(connection.delegate == nil, "\(end): the connection still holds the handler")
    }
}
