import NIOCore
import NIOHTTP1

/// Turning the client connection and its upstream connection into a WebSocket tunnel
/// once the upstream answered a forwarded `Upgrade: websocket` with `101`.
extension HTTPProxyHandler {
    /// `headers`: the upstream's 101 headers with hop-by-hop fields removed
    /// (`Sec-WebSocket-Accept` and the other end-to-end fields stay).
    func startTunnel(headers: HTTPHeaders) {
        guard let context, let connection = upstream else { return perform(.closeDownstream) }
        var headers = headers
        headers.add(name: "Connection", value: "Upgrade")
        headers.add(name: "Upgrade", value: "websocket")
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: requestVersion, status: .switchingProtocols,
                                                                     headers: headers))), promise: nil)
        metrics.increment(.websocketTunnels)
        cancelTimers()

        // The upstream connection leaves the pool; its slot under the site's cap stays
        // taken until the tunnel ends.
        upstream = nil
        upstreamHead = nil
        pool.detach(connection)
        let clientEnd = TunnelHandler(idleTimeout: settings.timeouts.tunnelIdle)
        let upstreamEnd = TunnelHandler(idleTimeout: nil)
        clientEnd.peer = upstreamEnd
        upstreamEnd.peer = clientEnd
        let slot = upstreamSlot
        upstreamSlot = nil
        clientEnd.onClose = {
            if case .held(let limit) = slot { limit.release() }
        }

        // Client side: the HTTP codec and this handler leave; the tunnel end takes over.
        // Bytes the client sent behind its upgrade request, before the 101, are dropped
        // with the decoder: RFC 6455 §4.1 has the client wait for the 101.
        let pipeline = context.pipeline.syncOperations
        do {
            try pipeline.addHandler(clientEnd, position: .after(self))
        } catch {
            clientEnd.end()
            return
        }
        if let decoder = try? pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self) {
            pipeline.removeHandler(decoder, promise: nil)
        }
        if let encoder = try? pipeline.handler(type: HTTPResponseEncoder.self) {
            pipeline.removeHandler(encoder, promise: nil)
        }
        if let validator = try? pipeline.handler(type: NIOHTTPResponseHeadersValidator.self) {
            pipeline.removeHandler(validator, promise: nil)
        }
        pipeline.removeHandler(context: context, promise: nil)

        // Upstream side after the decoder has returned from delivering the 101 (it is
        // still on the stack now).
        let loop = context.eventLoop
        loop.assumeIsolated().execute {
            if !connection.becomeTunnel(upstreamEnd) {
                clientEnd.end()
                return
            }
            upstreamEnd.peerReady()
            clientEnd.peerReady()
        }
    }
}
