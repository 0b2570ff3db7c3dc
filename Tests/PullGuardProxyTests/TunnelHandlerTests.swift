import NIOCore
import NIOEmbedded
import Testing
@testable import PullGuardProxy

/// The two ends of a tunnel, each in an `EmbeddedChannel`: relay, backpressure, idle close.
@Suite struct TunnelHandlerTests {
    struct Pair {
        let client = EmbeddedChannel()
        let upstream = EmbeddedChannel()
        let clientEnd: TunnelHandler
        let upstreamEnd: TunnelHandler

        init(idle: TimeAmount = .seconds(10)) throws {
            clientEnd = TunnelHandler(idleTimeout: idle)
            upstreamEnd = TunnelHandler(idleTimeout: nil)
            clientEnd.peer = upstreamEnd
            upstreamEnd.peer = clientEnd
            try client.pipeline.syncOperations.addHandler(clientEnd)
            try upstream.pipeline.syncOperations.addHandler(upstreamEnd)
            try client.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
            try upstream.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 2)).wait()
        }

        func text(_ channel: EmbeddedChannel) throws -> String {
            var text = ""
            while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
                text += buffer.readString(length: buffer.readableBytes) ?? ""
            }
            return text
        }
    }

    @Test func bytesReadBeforeTheStartAreHandedOnInOrder() throws {
        let pair = try Pair()
        try pair.client.writeInbound(ByteBuffer(string: "early"))
        #expect(try pair.text(pair.upstream) == "", "not before both pipelines are plain")
        TunnelHandler.start(client: pair.clientEnd, upstream: pair.upstreamEnd)
        try pair.client.writeInbound(ByteBuffer(string: "-later"))
        try pair.upstream.writeInbound(ByteBuffer(string: "back"))
        #expect(try pair.text(pair.upstream) == "early-later")
        #expect(try pair.text(pair.client) == "back")
    }

    /// A client that does not read (its channel unwritable) stops the reads of the upstream side.
    @Test func unwritableClientHoldsUpstreamReads() throws {
        let pair = try Pair()
        TunnelHandler.start(client: pair.clientEnd, upstream: pair.upstreamEnd)
        pair.client.isWritable = false
        pair.client.pipeline.fireChannelWritabilityChanged()
        final class ReadCounter: ChannelOutboundHandler, @unchecked Sendable {
            typealias OutboundIn = NIOAny
            var reads = 0
            func read(context: ChannelHandlerContext) {
                reads += 1
                context.read()
            }
        }
        let counter = ReadCounter()
        try pair.upstream.pipeline.syncOperations.addHandler(counter, position: .first)
        pair.upstream.read()
        #expect(counter.reads == 0, "held while the client cannot take bytes")
        pair.client.isWritable = true
        pair.client.pipeline.fireChannelWritabilityChanged()
        #expect(counter.reads == 1, "released when it can")
    }

    @Test func idleTunnelClosesBothSides() throws {
        let pair = try Pair(idle: .seconds(10))
        TunnelHandler.start(client: pair.clientEnd, upstream: pair.upstreamEnd)
        pair.client.embeddedEventLoop.advanceTime(by: .seconds(6))
        try pair.client.writeInbound(ByteBuffer(string: "x"))
        pair.client.embeddedEventLoop.advanceTime(by: .seconds(6))
        #expect(pair.client.isActive, "activity at 6 s moved the deadline to 16 s")
        pair.client.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(!pair.client.isActive)
        pair.upstream.embeddedEventLoop.run()
        #expect(!pair.upstream.isActive)
    }

    @Test func eitherSideClosingClosesTheOther() throws {
        let pair = try Pair()
        TunnelHandler.start(client: pair.clientEnd, upstream: pair.upstreamEnd)
        try pair.upstream.close().wait()
        pair.client.embeddedEventLoop.run()
        #expect(!pair.client.isActive)
    }
}
