import NIOCore

/// One end of a byte tunnel (a WebSocket after the upstream's `101`): the last
/// handler of the client channel and of the upstream channel, each relaying what
/// it reads to its peer.
///
/// Bounded both ways: a side is read only while its peer's channel is writable
/// (`read(context:)` holds the read otherwise and `channelWritabilityChanged`
/// releases it), so at most one read's worth of bytes waits on either side. The
/// client end owns the idle clock: when neither side has read a byte for
/// `idleTimeout`, both channels close. A client that stops reading makes the upstream
/// side stop reading, so no bytes move and the same clock ends it.
package final class TunnelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    package typealias InboundIn = ByteBuffer
    package typealias OutboundIn = ByteBuffer
    package typealias OutboundOut = ByteBuffer

    /// The other end. Both ends hold each other until either channel closes, which
    /// clears both links (the cycle is broken by `channelInactive`).
    var peer: TunnelHandler?
    private var context: ChannelHandlerContext?
    /// A read was requested while the peer could not take more.
    private var readPending = false
    /// When this end last read bytes (the loop's clock, once per read burst).
    private(set) var lastActivity: NIODeadline = .distantPast
    /// Only on the client end.
    private let idleTimeout: TimeAmount?
    private var idleTimer: Scheduled<Void>?
    /// Called once when the tunnel ends (on the client end), e.g. to give back the
    /// upstream connection slot.
    var onClose: (() -> Void)?
    private var closing = false
    /// Bytes read before the peer's end was in its pipeline.
    private var waitingForPeer: [ByteBuffer] = []

    /// - Parameter idleTimeout: set on the client end only.
    init(idleTimeout: TimeAmount?) {
        self.idleTimeout = idleTimeout
    }

    /// Both channels are free of their HTTP handlers: bytes may be written to this end.
    private(set) var isReady = false

    var isWritable: Bool { isReady && (context?.channel.isWritable ?? false) }

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if closing {
            // The other end ended while this one was being set up.
            context.close(promise: nil)
            return
        }
        lastActivity = context.eventLoop.now
        if let idleTimeout { scheduleIdleCheck(at: lastActivity + idleTimeout) }
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        idleTimer = nil
        self.context = nil
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        guard let peer else { return }
        guard peer.isReady, let peerContext = peer.context else {
            // The ends are being set up: the HTTP decoders hand on what they kept (one
            // read's worth at most: reads are held meanwhile).
            waitingForPeer.append(bytes)
            return
        }
        // Flushed per read rather than at read-complete: the bytes the HTTP decoder hands
        // on when it is removed arrive outside any read burst.
        peerContext.writeAndFlush(peer.wrapOutboundOut(bytes), promise: nil)
    }

    /// Both pipelines are plain byte pipelines now (`TunnelHandler.start(client:upstream:)`).
    static func start(client: TunnelHandler, upstream: TunnelHandler) {
        client.isReady = true
        upstream.isReady = true
        client.handOnWaiting()
        upstream.handOnWaiting()
    }

    /// Hands on what was read before the ends were ready, and starts reading.
    private func handOnWaiting() {
        guard let context, let peer, let peerContext = peer.context else { return }
        if !waitingForPeer.isEmpty {
            for bytes in waitingForPeer { peerContext.write(peer.wrapOutboundOut(bytes), promise: nil) }
            waitingForPeer.removeAll()
            peerContext.flush()
        }
        readPending = false
        context.read()
    }

    package func channelReadComplete(context: ChannelHandlerContext) {
        lastActivity = context.eventLoop.now
        context.fireChannelReadComplete()
    }

    package func read(context: ChannelHandlerContext) {
        if peer?.isWritable ?? false {
            context.read()
        } else {
            readPending = true
        }
    }

    package func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { peer?.resumeRead() }
        context.fireChannelWritabilityChanged()
    }

    private func resumeRead() {
        guard readPending, let context else { return }
        readPending = false
        context.read()
    }

    package func channelInactive(context: ChannelHandlerContext) {
        end()
        context.fireChannelInactive()
    }

    package func errorCaught(context: ChannelHandlerContext, error: Error) {
        end()
    }

    /// Closes this end and the peer's once what was written to it is out. `abort`: do
    /// not wait for this end's pending writes (see `HTTPProxyHandler.abortClose`).
    func end(abort: Bool = false) {
        guard !closing else { return }
        closing = true
        idleTimer?.cancel()
        idleTimer = nil
        let peer = self.peer
        self.peer = nil
        context?.close(promise: nil)
        if abort { context?.close(promise: nil) }
        if let onClose {
            self.onClose = nil
            onClose()
        }
        peer?.endAfterPendingWrites()
    }

    private func endAfterPendingWrites() {
        guard !closing, let context else { return end() }
        // An empty write completes after everything written before it.
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0))).assumeIsolated()
            .whenComplete { [self] _ in end() }
    }

    private func scheduleIdleCheck(at deadline: NIODeadline) {
        guard let context else { return }
        idleTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            idleTimer = nil
            idleCheck()
        }
    }

    private func idleCheck() {
        guard let idleTimeout, let context, !closing else { return }
        let last = max(lastActivity, peer?.lastActivity ?? lastActivity)
        if context.eventLoop.now - last >= idleTimeout {
            // Idle may mean the client stopped reading: its close must not wait on it.
            end(abort: true)
        } else {
            scheduleIdleCheck(at: last + idleTimeout)
        }
    }
}
