import NIOCore
import PullGuardCore

/// Waits for the TLS handshake, then puts the pipeline of the protocol it negotiated
/// behind itself (ALPN `h2`: `HTTP2ProxyHandler`; anything else: HTTP/1.1) and leaves.
///
/// Installed at accept, so a connection pays for exactly one protocol's handlers. A
/// `ConnectionDrain` that arrives during the handshake is kept and handed to the
/// protocol handler once it is there: a reload during a handshake still drains it.
final class ProtocolSelectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let proxy: HTTPProxy
    private let loop: Int
    private let afterTLSHandler: Bool
    private var drain: ConnectionDrain?

    init(proxy: HTTPProxy, loop: Int, afterTLSHandler: Bool) {
        self.proxy = proxy
        self.loop = loop
        self.afterTLSHandler = afterTLSHandler
    }

    /// Bytes before the TLS layer said who the client is: never forwarded (fail closed).
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        proxy.logger.warning("request before the TLS handshake was reported; closing")
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let drain = event as? ConnectionDrain {
            self.drain = drain
            return
        }
        guard let established = event as? TLSConnectionEstablished else {
            return context.fireUserInboundEventTriggered(event)
        }
        let pipeline = context.pipeline.syncOperations
        do {
            if established.alpn == "h2" {
                guard let handler = proxy.makeHTTP2Handler(established, channel: context.channel, loop: loop) else {
                    proxy.logger.error("no proxy settings for the TLS-selected site; closing")
                    return context.close(promise: nil)
                }
                try pipeline.addHandler(handler)
            } else {
                try proxy.installHTTP1(pipeline, channel: context.channel, loop: loop, afterTLSHandler: afterTLSHandler)
            }
        } catch {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(established)
        if let drain { context.fireUserInboundEventTriggered(drain) }
        pipeline.removeHandler(context: context, promise: nil)
    }
}
