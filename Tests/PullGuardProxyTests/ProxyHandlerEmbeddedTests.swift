import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import PullGuardCore
import PullGuardObservability
@testable import PullGuardProxy
import PullGuardTestSupport

/// The proxy handler in an `EmbeddedChannel`: the paths that never reach an upstream.
@Suite struct ProxyHandlerEmbeddedTests {
    let sites = SiteTable(testing: [
        Site.forwarding(name: "a", serverNames: ["a.example"], upstream: .init(host: "127.0.0.1", port: 1)),
        Site.forwarding(name: "b", serverNames: ["b.example"], upstream: .init(host: "127.0.0.1", port: 2)),
    ])
    let settings = ProxySettings(
        timeouts: ProxyTimeouts(downstreamIdle: .seconds(5)))

    let event = TLSConnectionEstablished(site: SiteID(index: 0), siteName: "a", serverName: "a.example", alpn: nil, protocolVersion: "TLSv1.3",
                                         cipher: "TLS_AES_128_GCM_SHA256", resumed: false,
                                         verification: TestCertificates.success())

    func makeChannel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let proxy = HTTPProxy(settings: settings, sites: sites, logger: Logger(label: "pullguard.test.embedded"),
                              metrics: PullGuardMetrics(eventLoops: 1))
        try proxy.configure(channel.pipeline.syncOperations, channel: channel, loop: 0)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()
        return channel
    }

    func outbound(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            text += buffer.readString(length: buffer.readableBytes) ?? ""
        }
        return text
    }

    @Test func requestBeforeHandshakeEventIsClosedUnanswered() throws {
        let channel = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n"))
        #expect(try outbound(channel).isEmpty)
        #expect(!channel.isActive)
    }

    @Test func idleConnectionIsClosedAfterDownstreamIdle() throws {
        let channel = try makeChannel()
        channel.pipeline.fireUserInboundEventTriggered(event)
        channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }

    /// Each answered request restarts the idle clock (one lazily re-armed timer).
    @Test func eachRequestRestartsTheIdleClock() throws {
        let channel = try makeChannel()
        channel.pipeline.fireUserInboundEventTriggered(event)
        channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: b.example\r\n\r\n"))
        #expect(try outbound(channel).hasPrefix("HTTP/1.1 421 Misdirected Request\r\n"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(channel.isActive, "the first deadline (5 s) passed, but the request moved it to 9 s")
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }

    @Test func drainClosesAnIdleKeepAliveConnection() throws {
        let channel = try makeChannel()
        channel.pipeline.fireUserInboundEventTriggered(event)
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: b.example\r\n\r\n"))
        #expect(try outbound(channel).hasPrefix("HTTP/1.1 421 Misdirected Request\r\n"))
        #expect(channel.isActive)
        channel.pipeline.fireUserInboundEventTriggered(ConnectionDrain(reason: .reload))
        #expect(!channel.isActive)
    }

    @Test func drainBeforeTheFirstRequestAnswersItWithClose() throws {
        let channel = try makeChannel()
        channel.pipeline.fireUserInboundEventTriggered(event)
        channel.pipeline.fireUserInboundEventTriggered(ConnectionDrain(reason: .reload))
        #expect(channel.isActive)
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: b.example\r\n\r\n"))
        let response = try outbound(channel)
        #expect(response.hasPrefix("HTTP/1.1 421 Misdirected Request\r\n"))
        #expect(response.lowercased().contains("connection: close"))
        #expect(!channel.isActive)
    }

    @Test func malformedRequestGets400AndClose() throws {
        let channel = try makeChannel()
        channel.pipeline.fireUserInboundEventTriggered(event)
        _ = try? channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost a.example\r\n\r\n"))
        #expect(try outbound(channel).hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(!channel.isActive)
    }

    @Test func misdirectedRequestKeepsTheConnection() throws {
        let channel = try makeChannel()
        channel.pipeline.fireUserInboundEventTriggered(event)
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: b.example\r\n\r\n"))
        let response = try outbound(channel)
        #expect(response.hasPrefix("HTTP/1.1 421 Misdirected Request\r\n"))
        #expect(response.hasSuffix("421 Misdirected Request: this connection is not for the requested host\n"))
        #expect(channel.isActive)
        try channel.writeInbound(ByteBuffer(string: "HEAD / HTTP/1.1\r\nHost: b.example\r\nConnection: close\r\n\r\n"))
        let second = try outbound(channel)
        #expect(second.hasPrefix("HTTP/1.1 421 Misdirected Request\r\n"))
        #expect(second.lowercased().contains("connection: close\r\n"))
        #expect(!channel.isActive)
    }
}
