import Logging
import NIOCore
import PullGuardOpenSSL
import PullGuardObservability
import PullGuardCore

/// Terminates TLS for one accepted connection: the first handler of every child
/// channel. Ciphertext in, plaintext up; plaintext down, ciphertext out.
///
/// The decisions live in `TLSServerStateMachine`; OpenSSL sits behind
/// `OpenSSLConnection`; this class only moves bytes between them and the
/// pipeline. Client verification happens inside the handshake, so nothing above
/// this handler sees a byte from a refused client; the first thing they see is
/// the `TLSConnectionEstablished` event.
public final class TLSServerHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private let contexts: ServerContextSet
    private let logger: Logger
    /// The counters of this connection's event loop (no lock: see `PullGuardMetrics`).
    private let counters: LoopCounters
    /// This configuration's per-site counters, and the loop they count in (see `SiteMetricsTable`).
    private let siteMetrics: SiteMetricsTable
    private let loop: Int
    /// This loop's own histogram: its lock is only ever taken by this loop (and a scrape).
    private let handshakeDuration: LoopHistogram
    /// When the connection was accepted, for `handshakeDuration`.
    private var acceptedAt = NIODeadline.now()
    private var connection: OpenSSLConnection?
    private var state = TLSServerStateMachine()
    /// Writes issued before the handshake finished, released in order once it has.
    private var pendingWrites: [(ByteBuffer, EventLoopPromise<Void>?)] = []
    /// Plaintext written since the last flush. It is encrypted at flush as one TLS record:
    /// an HTTP response's head, body and end become one `SSL_write` and one AEAD record
    /// instead of three.
    private var unflushed: ByteBuffer?
    /// Completes every write folded into `unflushed` (later promises are cascaded from it).
    private var unflushedPromise: EventLoopPromise<Void>?
    /// Writes at least this large are encrypted as they come, without copying.
    private static let coalescingLimit = 16_384
    /// The peer, formatted only when a log line needs it.
    private var remoteAddress: SocketAddress?
    private var clientAddress: String { remoteAddress?.ipAddress ?? "unknown" }
    private var handshakeTimeout: Scheduled<Void>?

    /// How long the last records of a closing connection may wait to be written.
    /// nginx's `lingering_timeout` (5 s) bounds the same wait on its side.
    private let closeWriteLimit: TimeAmount
    /// The configuration's access log, for the lines of refused handshakes; nil when off.
    private let accessLog: AccessLog?

    /// - Parameters:
    ///   - metrics: the process's counters, from the composition root.
    ///   - loop: the position of the connection's event loop in its group; the handler counts into that loop's block.
    ///   - siteMetrics: per-site handles of the configuration `contexts` belongs to
    ///     (`PullGuardMetrics.siteMetrics(for: contexts.inventory)`); `.empty` counts no per-site series.
    public init(contexts: ServerContextSet, logger: Logger, metrics: PullGuardMetrics, loop: Int,
                siteMetrics: SiteMetricsTable = .empty, closeWriteLimit: TimeAmount = .seconds(5),
                accessLog: AccessLog? = nil) {
        self.accessLog = accessLog
        self.contexts = contexts
        self.logger = logger
        self.counters = metrics.counters(forLoop: loop)
        self.siteMetrics = siteMetrics
        self.loop = loop
        self.handshakeDuration = metrics.handshakeDuration(forLoop: loop)
        self.closeWriteLimit = closeWriteLimit
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        remoteAddress = context.channel.remoteAddress
        acceptedAt = .now()
        do {
            connection = try OpenSSLConnection(contexts: contexts)
            let target = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
            handshakeTimeout = context.eventLoop.scheduleTask(in: contexts.handshakeTimeout) {
                target.value.handler.handshakeTimedOut(context: target.value.context)
            }
        } catch {
            logger.error("could not start TLS", metadata: ["client": "\(clientAddress)", "error": "\(error)"])
            context.close(promise: nil)
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        handshakeTimeout?.cancel()
        connection = nil
        failPendingWrites(ChannelError.ioOnClosedChannel)
    }

    // MARK: Inbound

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        guard let connection else { return }
        switch state.bytesReceived() {
        case .continueHandshake:
            connection.receive(ciphertext: bytes)
            stepHandshake(context: context, connection: connection)
        case .decrypt:
            connection.receive(ciphertext: bytes)
            decryptAndDeliver(context: context, connection: connection)
        case .ignore:
            break
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        switch state.channelInactive() {
        case .abandonedHandshake:
            counters.increment(.handshakeAbandoned)
            countForSite(.handshakeAbandoned)
            logger.debug("client closed the connection during the TLS handshake", metadata: ["client": "\(clientAddress)"])
        case .endedCleanly:
            connection?.keepSessionResumable()
        case .failPendingAndForward:
            break
        }
        failPendingWrites(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    private func stepHandshake(context: ChannelHandlerContext, connection: OpenSSLConnection) {
        let result = connection.handshake()
        let step: TLSServerStateMachine.HandshakeStep
        switch result {
        case .complete: step = .complete(tls13: connection.isTLS13, applicationDataFollows: connection.hasUnreadInput)
        case .needsMoreData: step = .needsMoreData
        case .failed: step = .failed
        }
        switch state.handshakeStepped(step) {
        case .flushAndWait:
            flushCiphertext(context: context, connection: connection)
        case .announceEstablished(let flushFirst):
            handshakeTimeout?.cancel()
            if flushFirst { flushCiphertext(context: context, connection: connection) }
            let established = connection.establishedEvent()
            counters.increment(established.resumed ? .handshakeResumed : .handshakeFull)
            if established.sessionRefusal != nil { counters.increment(.resumptionRefused) }
            siteMetrics.increment(established.resumed ? .handshakeResumed : .handshakeFull, site: established.site, loop: loop)
            if case .success(let identity) = established.verification {
                siteMetrics.admitted(site: established.site, anchor: identity.anchorIndex, loop: loop)
            }
            handshakeDuration.recordNanoseconds((NIODeadline.now() - acceptedAt).nanoseconds)
            logger.debug("TLS established", metadata: established.logMetadata(client: clientAddress))
            context.fireUserInboundEventTriggered(established)
            releasePendingWrites(context: context, connection: connection)
            // The client may have sent application data right behind its Finished.
            decryptAndDeliver(context: context, connection: connection)
        case .flushAlertAndClose:
            if case .failed(let failure) = result { logRefusal(failure) }
            flushCiphertext(context: context, connection: connection, thenClose: true)
        case .ignore:
            break
        }
    }

    private func handshakeTimedOut(context: ChannelHandlerContext) {
        guard state.state == .handshaking else { return }
        counters.increment(.handshakeTimedOut)
        countForSite(.handshakeTimedOut)
        logger.info("TLS handshake timed out", metadata: ["client": "\(clientAddress)"])
        context.close(promise: nil)
    }

    private func decryptAndDeliver(context: ChannelHandlerContext, connection: OpenSSLConnection) {
        var plaintext = context.channel.allocator.buffer(capacity: 16_384)
        let step: TLSServerStateMachine.ReadStep
        var readError: OpenSSLError?
        switch connection.read(into: &plaintext) {
        case .data, .needsMoreData: step = .data
        case .closed: step = .peerClosed
        case .failed(let error):
            step = .failed
            readError = error
        }
        if plaintext.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(plaintext))
        }
        switch state.readStepped(step) {
        case .deliver, .ignore:
            break
        case .closeGracefully:
            context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            connection.shutdown()
            flushCiphertext(context: context, connection: connection, thenClose: true)
        case .closeWithError:
            logger.info("TLS record error, closing", metadata: ["client": "\(clientAddress)", "error": "\(readError.map { "\($0)" } ?? "")"])
            flushCiphertext(context: context, connection: connection, thenClose: true)
        }
    }

    // MARK: Outbound

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let plaintext = unwrapOutboundIn(data)
        switch state.writeRequested() {
        case .buffer:
            pendingWrites.append((plaintext, promise))
        case .encrypt:
            guard let connection else {
                promise?.fail(ChannelError.ioOnClosedChannel)
                return
            }
            coalesce(plaintext, promise: promise, context: context, connection: connection)
        case .fail:
            promise?.fail(ChannelError.ioOnClosedChannel)
        }
    }

    public func flush(context: ChannelHandlerContext) {
        if let connection { encryptUnflushed(context: context, connection: connection) }
        context.flush()
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all, let connection else {
            context.close(mode: mode, promise: promise)
            return
        }
        switch state.closeRequested() {
        case .sendCloseNotifyThenClose:
            // Plaintext written but not flushed (a response's last bytes) and the
            // close_notify leave as one buffer in one write: `HTTPProxyHandler` closes
            // after a `Connection: close` response without flushing it first.
            let pendingPromise = sealUnflushed(context: context, connection: connection)
            connection.shutdown()
            if let records = connection.takeCiphertext(allocator: context.channel.allocator) {
                let written = context.writeAndFlush(wrapOutboundOut(records))
                if let pendingPromise { written.cascade(to: pendingPromise) }
                close(context: context, after: written, promise: promise)
            } else {
                pendingPromise?.succeed(())
                context.close(promise: promise)
            }
        case .closeNow, .ignore:
            context.close(mode: mode, promise: promise)
        }
    }

    private func encrypt(_ plaintext: ByteBuffer, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext,
                         connection: OpenSSLConnection) {
        if let error = connection.write(plaintext: plaintext) {
            promise?.fail(error)
            context.fireErrorCaught(error)
            context.close(promise: nil)
            return
        }
        if let records = connection.takeCiphertext(allocator: context.channel.allocator) {
            context.write(wrapOutboundOut(records), promise: promise)
        } else {
            promise?.succeed(())
        }
    }

    /// Adds a write to the plaintext waiting for the next flush.
    private func coalesce(_ plaintext: ByteBuffer, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext,
                          connection: OpenSSLConnection) {
        if plaintext.readableBytes >= Self.coalescingLimit {
            encryptUnflushed(context: context, connection: connection)
            encrypt(plaintext, promise: promise, context: context, connection: connection)
            return
        }
        if unflushed == nil {
            unflushed = plaintext
        } else {
            unflushed!.writeImmutableBuffer(plaintext)
        }
        if let promise {
            if let existing = unflushedPromise {
                existing.futureResult.cascade(to: promise)
            } else {
                unflushedPromise = promise
            }
        }
        if unflushed!.readableBytes >= Self.coalescingLimit {
            encryptUnflushed(context: context, connection: connection)
        }
    }

    /// The plaintext waiting for a flush and the promise of the writes folded into it,
    /// leaving nothing waiting.
    private func takeUnflushed() -> (plaintext: ByteBuffer, promise: EventLoopPromise<Void>?)? {
        defer {
            unflushed = nil
            unflushedPromise = nil
        }
        return unflushed.map { ($0, unflushedPromise) }
    }

    private func encryptUnflushed(context: ChannelHandlerContext, connection: OpenSSLConnection) {
        guard let (plaintext, promise) = takeUnflushed() else { return }
        encrypt(plaintext, promise: promise, context: context, connection: connection)
    }

    /// Hands the unflushed plaintext to OpenSSL without taking the records out, so the
    /// next `takeCiphertext` carries them together with whatever follows. Returns the
    /// promise to complete once those records are written.
    private func sealUnflushed(context: ChannelHandlerContext, connection: OpenSSLConnection) -> EventLoopPromise<Void>? {
        guard let (plaintext, promise) = takeUnflushed() else { return nil }
        if let error = connection.write(plaintext: plaintext) {
            promise?.fail(error)
            context.fireErrorCaught(error)
            return nil
        }
        return promise
    }

    private func releasePendingWrites(context: ChannelHandlerContext, connection: OpenSSLConnection) {
        guard !pendingWrites.isEmpty else { return }
        let writes = pendingWrites
        pendingWrites = []
        for (plaintext, promise) in writes {
            coalesce(plaintext, promise: promise, context: context, connection: connection)
        }
        encryptUnflushed(context: context, connection: connection)
        context.flush()
    }

    private func failPendingWrites(_ error: Error) {
        let writes = pendingWrites
        pendingWrites = []
        for (_, promise) in writes { promise?.fail(error) }
        takeUnflushed()?.promise?.fail(error)
    }

    private func flushCiphertext(context: ChannelHandlerContext, connection: OpenSSLConnection, thenClose: Bool = false) {
        guard let records = connection.takeCiphertext(allocator: context.channel.allocator) else {
            if thenClose { context.close(promise: nil) }
            return
        }
        guard thenClose else {
            // No promise: nothing waits for these records, and a promise is an allocation.
            context.writeAndFlush(wrapOutboundOut(records), promise: nil)
            return
        }
        close(context: context, after: context.writeAndFlush(wrapOutboundOut(records)), promise: nil)
    }

    /// Closes once `written` (the last records: an alert, or a response's end and the
    /// close_notify) has left, or after `closeWriteLimit` if it has not: a client that
    /// stopped reading never lets those bytes out, and must not hold the connection.
    private func close(context: ChannelHandlerContext, after written: EventLoopFuture<Void>, promise: EventLoopPromise<Void>?) {
        let target = NIOLoopBound(context, eventLoop: context.eventLoop)
        let deadline = context.eventLoop.scheduleTask(in: closeWriteLimit) {
            target.value.close(promise: nil)
        }
        written.assumeIsolated().whenComplete { _ in
            deadline.cancel()
            context.close(promise: promise)
        }
    }

    /// One counter and one line per refused or failed handshake (`HandshakeRefusalRecord`).
    private func logRefusal(_ failure: TLSHandshakeFailure) {
        let record = HandshakeRefusalRecord(failure, client: clientAddress)
        counters.increment(record.counter)
        countForSite(record.siteCounter)
        logger.log(level: record.level, record.message, metadata: record.metadata)
        guard let accessLog else { return }
        switch accessLog.write(record.logEntry(failure, client: remoteAddress?.ipAddress, port: remoteAddress?.port), loop: loop) {
        case .written: break
        case .suppressed: counters.increment(.accessLogRefusalsSuppressed)
        case .dropped: counters.increment(.accessLogDropped)
        }
    }
}

extension TLSServerHandler {
    /// Counts a handshake that ended without a connection for the site the ClientHello chose;
    /// one that ended before any site was chosen is only in the unlabelled totals.
    private func countForSite(_ counter: SiteCounter) {
        guard let site = connection?.selectedSite else { return }
        siteMetrics.increment(counter, site: site, loop: loop)
    }
}

extension TLSConnectionEstablished {
    func logMetadata(client: String) -> Logger.Metadata {
        [
            "client": "\(client)", "site": "\(siteName)", "sni": "\(serverName ?? "-")",
            "version": "\(protocolVersion)", "cipher": "\(cipher)", "resumed": "\(resumed)",
            "verify": "\(verification.headerValue)", "session_refused": "\(sessionRefusal ?? "-")",
        ]
    }
}
