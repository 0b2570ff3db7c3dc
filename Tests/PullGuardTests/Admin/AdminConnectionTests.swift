import Foundation
import NIOCore
import NIOEmbedded
import Testing
@testable import PullGuard

/// One admin connection in memory: answered once and closed; closed when idle.
@Suite struct AdminConnectionTests {
    static func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try AdminServer.configure(channel.pipeline.syncOperations, router: AdminRouterTests.router())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    static func written(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) { text += buffer.readString(length: buffer.readableBytes) ?? "" }
        return text
    }

    @Test func answersTheFirstRequestAndCloses() throws {
        let channel = try Self.channel()
        try channel.writeInbound(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"))
        channel.embeddedEventLoop.run()
        let text = try Self.written(channel)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(text.contains("connection: close") || text.contains("Connection: close"))
        #expect(text.components(separatedBy: "HTTP/1.1 ").count == 2, "one response only: \(text)")
        #expect(!channel.isActive)
    }

    @Test func aConnectionWithoutACompleteHeadIsClosedAtItsDeadline() throws {
        let channel = try Self.channel()
        try channel.writeInbound(ByteBuffer(string: "GET /healthz HTTP/1.1\r\n"))
        channel.embeddedEventLoop.advanceTime(by: AdminServer.idleTimeout - .milliseconds(1))
        try channel.writeInbound(ByteBuffer(string: "X-Trickle: 1\r\n"))  // a byte does not renew the deadline
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(2))
        #expect(!channel.isActive)
    }
}
