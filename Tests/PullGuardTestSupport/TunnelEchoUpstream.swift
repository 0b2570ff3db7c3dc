import Foundation
import NIOCore
import NIOPosix

/// A raw-bytes upstream for upgrade tests: it parses nothing but the request head
/// (up to the blank line) and records it as text, exactly as it arrived.
///
/// - A head with `Upgrade: websocket` gets `101 Switching Protocols`, followed in the
///   same write by the greeting `hello\n` (bytes right behind a 101 must survive the
///   proxy's switch to a tunnel); after that every byte is echoed back.
/// - Any other head gets `200` with the body `plain\n`, and the next head is read.
public final class TunnelEchoUpstream: Sendable {
    private let channel: Channel
    private let record: Record

    public static let greeting = "hello\n"

    private init(channel: Channel, record: Record) {
        self.channel = channel
        self.record = record
    }

    public static func start(group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> TunnelEchoUpstream {
        let record = Record()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(record: record))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return TunnelEchoUpstream(channel: channel, record: record)
    }

    public var port: Int { channel.localAddress?.port ?? 0 }
    /// Every request head received, as raw text.
    public var heads: [String] { record.withLock { $0.heads } }
    /// Connections the peer (the proxy) has closed so far.
    public var closedConnections: Int { record.withLock { $0.closed } }

    public func shutdown() async throws { try await channel.close() }

    final class Record: @unchecked Sendable {
        // `@unchecked Sendable`: every access goes through `lock`.
        private let lock = NSLock()
        private var state = (heads: [String](), closed: 0)
        func withLock<T>(_ body: (inout (heads: [String], closed: Int)) -> T) -> T {
            lock.lock()
            defer { lock.unlock() }
            return body(&state)
        }
    }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private let record: Record
        private var pending = ByteBuffer()
        private var tunnel = false

        init(record: Record) { self.record = record }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            if tunnel {
                context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
                return
            }
            pending.writeBuffer(&bytes)
            while !tunnel, let text = pending.getString(at: pending.readerIndex, length: pending.readableBytes),
                  let end = text.range(of: "\r\n\r\n") {
                let head = String(text[..<end.lowerBound])
                pending.moveReaderIndex(forwardBy: text[..<end.upperBound].utf8.count)
                record.withLock { $0.heads.append(head) }
                if head.lowercased().contains("\r\nupgrade: websocket") {
                    tunnel = true
                    let answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n" + TunnelEchoUpstream.greeting
                    context.write(wrapOutboundOut(context.channel.allocator.buffer(string: answer)), promise: nil)
                    if pending.readableBytes > 0 { context.write(wrapOutboundOut(pending), promise: nil) }
                    pending.clear()
                    context.flush()
                } else {
                    let answer = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nplain\n"
                    context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: answer)), promise: nil)
                }
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            record.withLock { $0.closed += 1 }
            context.fireChannelInactive()
        }
    }
}
