import NIOCore
import NIOHTTP1
import PullGuardCore

/// Receives what a leased upstream connection delivers. Called on the event loop
/// shared by the downstream and the upstream channel, so no hops are needed.
protocol UpstreamConnectionDelegate: AnyObject {
    func upstreamResponsePart(_ part: HTTPClientResponsePart)
    func upstreamReadComplete()
    func upstreamWritabilityChanged(isWritable: Bool)
    /// The connection closed or failed; it is gone from the pool already.
    func upstreamClosed(error: Error?)
}

/// One keep-alive connection to an upstream: the last handler of its pipeline
/// (after `HTTPRequestEncoder` and the response decoder) and the handle the
/// proxy writes through.
///
/// The channel runs with `autoRead` off: the owner calls ``read()`` only when
/// the client can take more, which is the upstream-to-client backpressure.
/// While parked in the pool a read stays outstanding so an upstream close is
/// noticed at once rather than on the next request.
final class UpstreamConnection: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let id: UpstreamPoolStateMachine.ConnectionID
    let upstream: UpstreamAddress
    /// Set while leased; nil while parked.
    weak var delegate: UpstreamConnectionDelegate?
    /// Told when the channel closes, so parked connections leave the pool.
    weak var pool: UpstreamPool?
    private var context: ChannelHandlerContext?
    /// Left the pool to become a tunnel (`UpstreamPool.detach`): HTTP parts still
    /// arriving (the 101's end) are ignored.
    var detached = false

    init(id: UpstreamPoolStateMachine.ConnectionID, upstream: UpstreamAddress) {
        self.id = id
        self.upstream = upstream
    }

    var isActive: Bool { context?.channel.isActive ?? false }
    var isWritable: Bool { context?.channel.isWritable ?? false }

    func write(_ part: HTTPClientRequestPart) {
        context?.write(wrapOutboundOut(part), promise: nil)
    }

    func flush() { context?.flush() }
    func read() { context?.read() }
    func close() { context?.close(promise: nil) }

    /// Turns this connection's channel into the upstream end of a tunnel: `tunnel`
    /// takes this handler's place and the HTTP codec leaves; bytes the upstream sent
    /// behind its `101` (kept by the decoder, which was set up to forward them) reach
    /// the tunnel as the decoder leaves. The caller has detached the connection from its
    /// pool. The future completes once the decoder is gone (NIO removes it on a later
    /// tick); only then may bytes be written through the pipeline.
    func becomeTunnel(_ tunnel: TunnelHandler) -> EventLoopFuture<Void>? {
        guard let context, context.channel.isActive else { return nil }
        let channel = context.channel
        let pipeline = channel.pipeline.syncOperations
        do {
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPResponseDecoder>.self)
            try pipeline.addHandler(tunnel)
            pipeline.removeHandler(context: context, promise: nil)
            if let encoder = try? pipeline.handler(type: HTTPRequestEncoder.self) {
                pipeline.removeHandler(encoder, promise: nil)
            }
            if let validator = try? pipeline.handler(type: NIOHTTPRequestHeadersValidator.self) {
                pipeline.removeHandler(validator, promise: nil)
            }
            return pipeline.removeHandler(decoder).flatMapThrowing {
                try channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
            }
        } catch {
            return nil
        }
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        // The end of a 101 arrives after the connection left the pool for a tunnel.
        if detached { return }
        guard let delegate else {
            // Bytes on a parked connection belong to no request: the connection is unusable.
            context.close(promise: nil)
            return
        }
        delegate.upstreamResponsePart(part)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        delegate?.upstreamReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        delegate?.upstreamWritabilityChanged(isWritable: context.channel.isWritable)
    }

    func channelInactive(context: ChannelHandlerContext) {
        pool?.connectionClosed(self)
        let delegate = self.delegate
        self.delegate = nil
        delegate?.upstreamClosed(error: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let delegate = self.delegate
        self.delegate = nil
        delegate?.upstreamClosed(error: error)
        context.close(promise: nil)
    }
}
