import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import PullGuardCore
import PullGuardObservability
@testable import PullGuardProxy
import PullGuardTestSupport

/// The client clocks of `HTTPProxyHandler` in an `EmbeddedChannel` (virtual time).
@Suite struct ProxyClientTimeoutEmbeddedTests {
    let sites = SiteTable(testing: [
        Site.forwarding(name: "a", serverNames: ["a.example"], upstream: .init(host: "127.0.0.1", port: 1)),
        Site.forwarding(name: "b", serverNames: ["b.example"], upstream: .init(host: "127.0.0.1", port: 2)),
    ])
    let settings = ProxySettings(
        timeouts: ProxyTimeouts(downstreamIdle: .seconds(75), clientHeader: .seconds(10), clientSend: .seconds(3)))

    let event = TLSConnectionEstablished(site: SiteID(index: 0), siteName: "a", serverName: "a.example", alpn: nil, protocolVersion: "TLSv1.3",
                                         cipher: "TLS_AES_128_GCM_SHA256", resumed: false,
                                         verification: TestCertificates.success())

    func makeChannel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let proxy = HTTPProxy(settings: settings, sites: sites, logger: Logger(label: "pullguard.test.embedded"),
                              metrics: PullGuardMetrics(eventLoops: 1))
        try proxy.configure(channel.pipeline.syncOperations, channel: channel, loop: 0)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()
        channel.pipeline.fireUserInboundEventTriggered(event)
        return channel
    }

    /// nginx's client_header_timeout also bounds the wait for the first request.
    @Test func firstRequestHeadMustArriveWithinClientHeader() throws {
        let channel = try makeChannel()
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive, "closed at client_header (10 s), long before client_idle (75 s)")
    }

    /// Slowloris: a head sent a few bytes at a time is closed at client_header from its first bytes.
    @Test func slowHeadIsClosedWithoutAResponse() throws {
        let channel = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: b.example\r\n\r\n"))
        _ = try channel.readOutbound(as: ByteBuffer.self)  // 421, keeps the connection
        while try channel.readOutbound(as: ByteBuffer.self) != nil {}
        channel.embeddedEventLoop.advanceTime(by: .seconds(30))
        #expect(channel.isActive, "idle between requests: client_idle (75 s) applies")
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\n"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        for _ in 0..<8 {
            try channel.writeInbound(ByteBuffer(string: "X-Slow: 1\r\n"))
            channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        }
        #expect(channel.isActive)
        try channel.writeInbound(ByteBuffer(string: "X-Slow: 1\r\n"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "no 408: nginx closes silently")
    }

    /// A client whose connection stays unwritable (it reads nothing) is closed after client_send.
    @Test func clientThatStopsReadingIsClosedAfterClientSend() throws {
        let channel = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: b.example\r\n\r\n"))
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }

    /// Writable again in time: the send clock stops.
    @Test func clientThatReadsAgainIsKept() throws {
        let channel = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: b.example\r\n\r\n"))
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(channel.isActive)
    }
}
