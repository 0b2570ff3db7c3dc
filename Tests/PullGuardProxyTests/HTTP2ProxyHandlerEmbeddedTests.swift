import Logging
import NIOCore
import NIOEmbedded
import PullGuardTestSupport
import Testing
@testable import PullGuardCore
@testable import PullGuardObservability
@testable import PullGuardProxy

/// `HTTP2ProxyHandler` in an `EmbeddedChannel`, with in-memory upstream connections on the
/// same loop: raw frames in, HTTP/1.1 upstream, frames out. Time never advances, so
/// nothing here waits for the handler's once-a-second clock.
final class InMemoryHTTP2Proxy {
    let loop = EmbeddedEventLoop()
    let client: EmbeddedChannel
    private(set) var upstreams: [EmbeddedChannel] = []
    private(set) var handler: HTTP2ProxyHandler!

    init(sites: SiteTable = InMemoryProxy.twoSites) throws {
        client = EmbeddedChannel(loop: loop)
        let pool = UpstreamPool(eventLoop: loop, maxIdlePerUpstream: 4, connectTimeout: .seconds(5)) {
            [unowned self, loop] upstream, initialize in
            let channel = EmbeddedChannel(loop: loop)
            self.upstreams.append(channel)
            return initialize(channel).flatMap {
                channel.connect(to: try! SocketAddress(ipAddress: "127.0.0.1", port: upstream.port))
            }.map { channel }
        }
        let settings = ProxySettings()
        let established = TLSConnectionEstablished(
            site: sites.id(named: "a"), siteName: "a", serverName: "a.example", alpn: "h2", protocolVersion: "TLSv1.3",
            cipher: "TLS_AES_128_GCM_SHA256", resumed: false, verification: TestCertificates.success())
        handler = HTTP2ProxyHandler(
            established: established, site: try #require(sites.site(established.site)?.proxy), settings: settings,
            http2: settings.http2, pool: pool, rules: ProxyRequestRules(settings: settings, sites: sites), siteLimit: nil,
            clientIP: "192.0.2.1", logger: Logger(label: "pullguard.test.h2"),
            counters: PullGuardMetrics(eventLoops: 1).counters(forLoop: 0), siteMetrics: .empty, loop: 0, requestDuration: nil)
        try client.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 50_000)).wait()
        try client.pipeline.syncOperations.addHandler(handler)
        _ = try frames()  // the server's SETTINGS
    }

    func send(_ bytes: [UInt8]) {
        _ = try? client.writeInbound(ByteBuffer(bytes: bytes))
        loop.run()
    }

    func frames() throws -> [HTTP2Frames.Frame] {
        loop.run()
        var frames: [HTTP2Frames.Frame] = []
        while let buffer = try client.readOutbound(as: ByteBuffer.self) { frames += HTTP2Frames.parse(buffer) }
        return frames
    }

    func upstreamText(_ index: Int) throws -> String {
        var text = ""
        while var buffer = try upstreams[index].readOutbound(as: ByteBuffer.self) {
            text += buffer.readString(length: buffer.readableBytes) ?? ""
        }
        return text
    }

    func answer(_ index: Int, _ body: String) throws {
        try upstreams[index].writeInbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"))
        loop.run()
    }
}

@Suite struct HTTP2ProxyHandlerEmbeddedTests {
    static let opening = HTTP2Frames.preface + HTTP2Frames.settings()

    @Test func aStreamIsForwardedAndAnsweredWithoutWaitingForAClock() throws {
        let proxy = try InMemoryHTTP2Proxy()
        proxy.send(Self.opening + HTTP2Frames.headers(stream: 1, HTTP2Frames.get))
        let request = try proxy.upstreamText(0)
        #expect(request.hasPrefix("GET / HTTP/1.1\r\n"))
        #expect(request.lowercased().contains("host: a.example"))
        #expect(request.contains("X-Client-Verify: SUCCESS"))
        _ = try proxy.frames()
        try proxy.answer(0, "ok")
        let frames = try proxy.frames()
        #expect(frames.contains { $0.type == 0x1 && $0.stream == 1 }, "HEADERS")
        #expect(frames.contains { $0.type == 0x0 && $0.stream == 1 && $0.payload == Array("ok".utf8) && $0.flags & 0x1 != 0 },
                "DATA with END_STREAM, sent as soon as the upstream answered: \(frames)")
    }

    /// A stream nghttp2 closes while sending its last frame (the request ended first, as a
    /// GET's does) is gone from the handler once answered: its state is not kept for the
    /// connection's life, and the connection counts as idle again.
    @Test func anAnsweredStreamIsForgotten() throws {
        let proxy = try InMemoryHTTP2Proxy()
        for stream in [Int32(1), 3, 5] {
            proxy.send((stream == 1 ? Self.opening : []) + HTTP2Frames.headers(stream: stream, HTTP2Frames.get))
            _ = try proxy.frames()
            #expect(proxy.handler.streams.count == 1)
            #expect(proxy.handler.idleSince == nil)
            try proxy.answer(0, "ok")
            #expect(try proxy.frames().contains { $0.type == 0x0 && $0.stream == stream && $0.flags & 0x1 != 0 })
            #expect(proxy.handler.streams.isEmpty, "stream \(stream) kept after its END_STREAM went out")
            #expect(proxy.handler.idleSince != nil, "idle again after stream \(stream)")
        }
        #expect(proxy.upstreams.count == 1, "one upstream connection, back in the pool after each answer")
    }

    /// A slow upstream holds only its own stream.
    @Test func aSlowStreamDoesNotHoldAnother() throws {
        let proxy = try InMemoryHTTP2Proxy()
        proxy.send(Self.opening + HTTP2Frames.headers(stream: 1, HTTP2Frames.get) + HTTP2Frames.headers(stream: 3, HTTP2Frames.get))
        #expect(proxy.upstreams.count == 2, "one upstream connection per active stream")
        _ = try proxy.frames()
        try proxy.answer(1, "second")
        let frames = try proxy.frames()
        #expect(frames.contains { $0.type == 0x0 && $0.stream == 3 && $0.payload == Array("second".utf8) })
        #expect(!frames.contains { $0.stream == 1 }, "stream 1 still waits for its upstream")
    }

    /// An upstream that switches protocols on a stream's request: 502 at once, and its
    /// connection is not kept.
    @Test func anUnaskedSwitchingProtocolsIs502() throws {
        let proxy = try InMemoryHTTP2Proxy()
        proxy.send(Self.opening + HTTP2Frames.headers(stream: 1, HTTP2Frames.get))
        _ = try proxy.frames()
        try proxy.upstreams[0].writeInbound(ByteBuffer(string: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n"))
        proxy.loop.run()
        let frames = try proxy.frames()
        let body = frames.filter { $0.type == 0x0 && $0.stream == 1 }.flatMap(\.payload)
        #expect(String(decoding: body, as: UTF8.self).hasPrefix("502 Bad Gateway"), "\(frames)")
        #expect(!proxy.upstreams[0].isActive)
    }

    @Test func anAuthorityOfAnotherSiteIs421AndNothingGoesUpstream() throws {
        let proxy = try InMemoryHTTP2Proxy()
        let misdirected = [(":method", "GET"), (":scheme", "https"), (":authority", "b.example"), (":path", "/")]
        proxy.send(Self.opening + HTTP2Frames.headers(stream: 1, misdirected))
        let frames = try proxy.frames()
        #expect(frames.contains { $0.type == 0x1 && $0.stream == 1 }, "a response, not a reset")
        // HPACK codes `:status 421` with Huffman; PullGuard's own body says what happened.
        let body = frames.filter { $0.type == 0x0 && $0.stream == 1 }.flatMap(\.payload)
        #expect(String(decoding: body, as: UTF8.self).hasPrefix("421 Misdirected Request"), "\(String(decoding: body, as: UTF8.self))")
        #expect(proxy.upstreams.isEmpty)
    }

    /// A `:path` that names a host (absolute or authority form) would reach an upstream that
    /// prefers it over `Host`, past the Host binding that checked `:authority` only. nghttp2
    /// resets such a stream (RFC 9113 §8.3.1: origin form, or `*` for OPTIONS); this holds
    /// PullGuard to that if nghttp2's checks ever change.
    @Test(arguments: ["http://b.example/x", "https://b.example/", "b.example:443"])
    func aPathNamingAHostNeverReachesTheUpstream(_ path: String) throws {
        let proxy = try InMemoryHTTP2Proxy()
        let fields = [(":method", "GET"), (":scheme", "https"), (":authority", "a.example"), (":path", path)]
        proxy.send(Self.opening + HTTP2Frames.headers(stream: 1, fields))
        let frames = try proxy.frames()
        #expect(frames.contains { $0.type == 0x3 && $0.stream == 1 && $0.errorCode == 0x1 }, "RST_STREAM PROTOCOL_ERROR: \(frames)")
        #expect(proxy.upstreams.isEmpty)
    }

    /// A client that resets its stream halfway through an upload leaves the upstream with
    /// half a body: that connection is closed, never handed to the next stream, whose head
    /// the upstream would otherwise read as the rest of the first body. Two things see to
    /// it (the abandoned stream gives its connection back as not reusable, and the pool
    /// reuses only a connection whose response ended); the test fails only without both.
    @Test func aStreamResetMidUploadClosesItsUpstream() throws {
        let proxy = try InMemoryHTTP2Proxy()
        let upload = [(":method", "POST"), (":scheme", "https"), (":authority", "a.example"), (":path", "/up"),
                      ("content-length", "10")]
        proxy.send(Self.opening + HTTP2Frames.headers(stream: 1, upload, endStream: false)
                   + HTTP2Frames.data(stream: 1, Array("12345".utf8)))
        let sent = try proxy.upstreamText(0)
        #expect(sent.hasPrefix("POST /up HTTP/1.1\r\n") && sent.hasSuffix("\r\n\r\n12345"), "\(sent.debugDescription)")
        proxy.send(HTTP2Frames.rstStream(stream: 1) + HTTP2Frames.headers(stream: 3, HTTP2Frames.get))
        #expect(!proxy.upstreams[0].isActive, "the upstream holding half a body is closed")
        #expect(proxy.upstreams.count == 2, "the next stream gets a connection of its own")
        #expect(try proxy.upstreamText(1).hasPrefix("GET / HTTP/1.1\r\n"))
    }

    @Test func drainAnnouncesThenEnds() throws {
        let proxy = try InMemoryHTTP2Proxy()
        proxy.send(Self.opening + HTTP2Frames.headers(stream: 1, HTTP2Frames.get))
        _ = try proxy.frames()
        proxy.client.pipeline.fireUserInboundEventTriggered(ConnectionDrain(reason: .reload))
        let notice = try #require(try proxy.frames().first { $0.type == 0x7 })
        #expect(Array(notice.payload[0..<4]) == [0x7f, 0xff, 0xff, 0xff], "the shutdown notice: requests on the wire still count")
        try proxy.answer(0, "ok")
        #expect(try proxy.frames().contains { $0.type == 0x0 && $0.stream == 1 }, "the open stream finishes")
        #expect(proxy.client.isActive, "the final GOAWAY waits for the grace second")
    }
}
