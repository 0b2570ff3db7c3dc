import NIOCore
import NIOHTTP1
import PullGuardCore
import PullGuardHTTP

/// Receives what a leased upstream connection delivers. Called on the event loop
/// shared by the downstream and the upstream channel, so no hops are needed.
protocol UpstreamConnectionDelegate: AnyObject {
    func upstreamResponsePart(_ part: UpstreamResponsePart)
    func upstreamReadComplete()
    func upstreamWritabilityChanged(isWritable: Bool)
    /// The connection closed or failed; it is gone from the pool already.
    func upstreamClosed(error: Error?)
}

/// One keep-alive connection to an upstream: the only handler of its pipeline, which
/// writes requests and reads responses itself (`HTTP1RequestWriter`,
/// `HTTP1ResponseParser`), and the handle the proxy writes through.
///
/// One handler instead of NIO's encoder, header validator and response decoder: each
/// request crossed all three and their pipeline hops, ~15% of an HTTP/2 request's CPU
/// (docs/performance.md).
///
/// The channel runs with `autoRead` off: the owner calls ``read()`` only when
/// the client can take more, which is the upstream-to-client backpressure.
/// While parked in the pool a read stays outstanding so an upstream close is
/// noticed at once rather than on the next request.
final class UpstreamConnection: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let id: UpstreamPoolStateMachine.ConnectionID
    let upstream: UpstreamAddress
    /// Set while leased; nil while parked. Strong, and let go on every way a lease ends
    /// (`UpstreamPool.release` and `.detach`, the channel's close, ``give(up:)``): a weak
    /// reference gave each HTTP/2 stream a side table when it was leased a connection, and
    /// every later retain and release of the stream (or of an HTTP/1.1 handler) took the
    /// runtime's slow path through it (docs/performance.md).
    var delegate: UpstreamConnectionDelegate?
    /// Told when the channel closes, so parked connections leave the pool.
    weak var pool: UpstreamPool?
    private var context: ChannelHandlerContext?
    // The codec state below is not checked for exclusive access at run time: each access
    // is one step on the event loop, and none is held while the delegate, the pool or
    // NIO is called (`channelRead` asks the parser for a part, then hands it on). The
    // checks were ~1% of an HTTP/2 request's instructions (callgrind).

    /// Left the pool to become a tunnel (`UpstreamPool.detach`): nothing more is parsed.
    @exclusivity(unchecked) var detached = false
    @exclusivity(unchecked) private var writer = HTTP1RequestWriter()
    @exclusivity(unchecked) private var parser = HTTP1ResponseParser()
    /// Bytes read but not parsed yet: a partial head, or what follows a `101`.
    @exclusivity(unchecked) private var received = ByteBuffer()
    /// A request could not be written; the connection is on its way out.
    @exclusivity(unchecked) private var writeFailed = false

    init(id: UpstreamPoolStateMachine.ConnectionID, upstream: UpstreamAddress) {
        self.id = id
        self.upstream = upstream
    }

    var isActive: Bool { context?.channel.isActive ?? false }
    /// Open, and its last response ended cleanly: the pool may lease it again. Checked
    /// when the response's end is delivered, so a connection whose upstream sent more than
    /// its answer is closed at release, never handed to the next request.
    var isReusable: Bool { isActive && parser.isIdle && !writeFailed }
    var isWritable: Bool { context?.channel.isWritable ?? false }

    /// Writes a request head, with the connection's identity fields after its own.
    func writeHead(_ head: HTTPRequestHead, appending lines: HTTP1FieldLines) {
        guard let context, !writeFailed else { return }
        do throws(HTTP1RequestError) {
            var buffer = context.channel.allocator.buffer(capacity: 512)
            try writer.writeHead(head, appending: lines, into: &buffer)
            parser.requestSent(method: head.method)
            context.write(wrapOutboundOut(buffer), promise: nil)
        } catch {
            writeFailed(error, context: context)
        }
    }

    /// A request body part or the end; the head is ``writeHead(_:appending:)``'s.
    func write(_ part: HTTPClientRequestPart) {
        guard let context, !writeFailed else { return }
        do throws(HTTP1RequestError) {
            switch part {
            case .head:
                // Heads go through `writeHead(_:appending:)` with the connection's identity
                // lines; one written here would reach the upstream without them.
                preconditionFailure("a request head must be written with writeHead(_:appending:)")
            case .body(.byteBuffer(let bytes)):
                context.write(wrapOutboundOut(try writer.body(bytes, allocator: context.channel.allocator)), promise: nil)
            case .body(.fileRegion):
                throw .bodyWithoutFraming
            case .end:
                if let last = writer.end(allocator: context.channel.allocator) {
                    context.write(wrapOutboundOut(last), promise: nil)
                }
            }
        } catch {
            writeFailed(error, context: context)
        }
    }

    func flush() { context?.flush() }
    func read() { context?.read() }
    func close() { context?.close(promise: nil) }

    /// Turns this connection's channel into the upstream end of a tunnel: `tunnel` takes
    /// this handler's place, and bytes the upstream sent behind its `101` reach the tunnel
    /// as this handler leaves. The caller has detached the connection from its pool.
    func becomeTunnel(_ tunnel: TunnelHandler) -> EventLoopFuture<Void>? {
        guard let context, context.channel.isActive, parser.isUpgraded else { return nil }
        let channel = context.channel
        let pipeline = channel.pipeline.syncOperations
        do {
            try pipeline.addHandler(tunnel)
        } catch {
            return nil
        }
        return pipeline.removeHandler(context: context).flatMapThrowing {
            try channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        }
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func removeHandler(context: ChannelHandlerContext, removalToken: ChannelHandlerContext.RemovalToken) {
        if received.readableBytes > 0 {
            let leftOver = received
            received = ByteBuffer()
            context.fireChannelRead(wrapInboundOut(leftOver))
        }
        context.leavePipeline(removalToken: removalToken)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if received.readableBytes == 0 {
            received = bytes
        } else {
            received.writeBuffer(&bytes)
        }
        // After a `101` the bytes wait for the tunnel (`removeHandler`).
        if detached || parser.isUpgraded { return }
        while true {
            let part: UpstreamResponsePart?
            do {
                part = try parser.next(&received)
            } catch {
                return give(up: UpstreamProtocolError.response(error))
            }
            guard let part else { break }
            guard let delegate else {
                // Bytes on a parked connection belong to no request (the parser fails on
                // them too): the connection is unusable.
                context.close(promise: nil)
                return
            }
            delegate.upstreamResponsePart(part)
            if parser.isUpgraded { return }
        }
        if received.readableBytes == 0 { received = ByteBuffer() }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        delegate?.upstreamReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        delegate?.upstreamWritabilityChanged(isWritable: context.channel.isWritable)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // A body delimited by the close ends here, before the close is reported.
        if !detached, let end = parser.connectionClosed() {
            delegate?.upstreamResponsePart(end)
        }
        pool?.connectionClosed(self)
        let delegate = self.delegate
        self.delegate = nil
        delegate?.upstreamClosed(error: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        give(up: error)
    }

    /// Reported on the next tick: the proxy is in the middle of writing this request.
    private func writeFailed(_ error: HTTP1RequestError, context: ChannelHandlerContext) {
        writeFailed = true
        let target = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute { target.value.give(up: UpstreamProtocolError.request(error)) }
    }

    /// Tells the owner why the connection ends (once: the delegate is let go first) and
    /// closes it.
    private func give(up error: Error) {
        let delegate = self.delegate
        self.delegate = nil
        delegate?.upstreamClosed(error: error)
        close()
    }
}

/// What made PullGuard give up an upstream connection, for the debug log.
enum UpstreamProtocolError: Error, CustomStringConvertible {
    case request(HTTP1RequestError)
    case response(HTTP1ResponseError)

    var description: String {
        switch self {
        case .request(let error): "request not written: \(error)"
        case .response(let error): "response refused: \(error)"
        }
    }
}
