import NIOCore
import NIOHTTP1

/// A fresh request decoder after an upgrade request that did not become a tunnel.
///
/// NIO's request decoder stops parsing for good once it has read a request with
/// `Connection: upgrade` and `Upgrade` (llhttp hands the rest of the stream to the new
/// protocol). When PullGuard removed that upgrade (any token but `websocket`), or the
/// upstream refused it, the connection goes on as HTTP/1.1: once the response is out,
/// a new decoder takes the old one's place, and the old decoder hands the
/// bytes it kept (a pipelined request, say) to the new one as it leaves. Until then
/// client reads are held (`decoderStopped`), so at most one read's worth waits.
extension HTTPProxyHandler {
    func scheduleCodecReset() {
        guard let context else { return }
        // Not from inside the response's completion: the replacement may deliver a whole
        // new request to this handler at once.
        context.eventLoop.assumeIsolated().execute { [self] in resetHTTPCodec() }
    }

    private func resetHTTPCodec() {
        guard let context, context.channel.isActive, decoderStopped, case .idle = machine.state else { return }
        let pipeline = context.pipeline.syncOperations
        do {
            // Found before the new one is added: `handler(type:)` returns the first match.
            let oldDecoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(HTTPProxy.makeRequestDecoder(), position: .before(self))
            decoderStopped = false
            upgradeRequested = false
            // Hands its kept bytes to the new decoder, which may deliver a request now.
            pipeline.removeHandler(oldDecoder, promise: nil)
        } catch {
            logger.error("cannot replace the HTTP codec after an upgrade request: \(error); closing", metadata: logMetadata)
            perform(machine.abort())
            return
        }
        resumeClientReadsIfPossible()
    }
}
