import NIOCore
import NIOHTTP1
import PullGuardHTTP

/// Turning the client connection and its upstream connection into a WebSocket tunnel
/// once the upstream answered a forwarded `Upgrade: websocket` with `101`.
extension HTTPProxyHandler {
    /// `response`: the upstream's 101 with its hop-by-hop fields removed
    /// (`Sec-WebSocket-Accept` and the other end-to-end fields stay).
    func startTunnel(response: HTTP1ResponseWriter.Head) {
        guard let context, let connection = upstream else { return perform(.closeDownstream) }
        writeResponseHead(response, connection: .upgradeWebSocket, flush: true)
        counters.increment(.websocketTunnels)
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

        // Client side: the request decoder and this handler leave; the tunnel end takes over.
        // The decoder goes last: it hands on any bytes the client sent behind its upgrade
        // request (at most one read's worth: reads were held), and they must reach the
        // tunnel end, which keeps them until the upstream end is in place.
        let pipeline = context.pipeline.syncOperations
        // On any failure both connections close (the upstream one left the pool already).
        let fail = {
            clientEnd.end()
            connection.close()
        }
        do {
            try pipeline.addHandler(clientEnd, position: .after(self))
        } catch {
            return fail()
        }
        guard let decoder = try? pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self) else {
            return fail()
        }
        decoderStopped = false
        pipeline.removeHandler(context: context, promise: nil)

        // NIO removes a decoder on a later tick, after the upstream's decoder has returned
        // from delivering the 101 (it is on the stack now); the upstream side follows then,
        // and bytes flow once both decoders are gone.
        pipeline.removeHandler(decoder).assumeIsolated().whenComplete { result in
            guard case .success = result, let upstreamReady = connection.becomeTunnel(upstreamEnd) else {
                return fail()
            }
            upstreamReady.assumeIsolated().whenComplete { result in
                guard case .success = result else { return fail() }
                TunnelHandler.start(client: clientEnd, upstream: upstreamEnd)
            }
        }
    }
}
