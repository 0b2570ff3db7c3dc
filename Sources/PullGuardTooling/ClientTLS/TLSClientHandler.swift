import NIOCore
import PullGuardOpenSSL

/// Fired inbound by `TLSClientHandler` once the client's handshake completed,
/// before any application data: the signal to send the first request.
public struct TLSClientHandshakeCompleted: Sendable {
    /// True when the server accepted the session offered for resumption.
    public var resumed: Bool
    /// `TLSv1.2` or `TLSv1.3`.
    public var protocolVersion: String
    /// The protocol the server selected by ALPN (`h2`, `http/1.1`); nil when none.
    public var alpn: String?
}

/// Why a client-side TLS connection failed, as `TLSClientHandler` reports it
/// through `errorCaught`.
public enum TLSClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The server sent this alert (`certificate_required`, `unknown_ca` by name).
    case alertReceived(TLSAlert)
    /// OpenSSL failed without an alert from the server; `reason` is its last reason
    /// string with underscores (`certificate_verify_failed`, `wrong_version_number`).
    case failed(reason: String)
    /// The server closed the socket before the handshake finished.
    case closedDuringHandshake

    public var description: String {
        switch self {
        case .alertReceived(let alert): return "received TLS alert \(alert.name)"
        case .failed(let reason): return "TLS failed: \(reason)"
        case .closedDuringHandshake: return "connection closed during the TLS handshake"
        }
    }

    /// Classifies on the drained queue's values: the alert the server sent, if any,
    /// otherwise the last entry's reason.
    init(_ error: OpenSSLError) {
        if let alert = error.receivedAlert {
            self = .alertReceived(alert)
        } else {
            self = .failed(reason: Self.reason(of: error))
        }
    }

    /// OpenSSL's last reason string as one token: `certificate verify failed` becomes
    /// `certificate_verify_failed`, so it can name an error class.
    static func reason(of error: OpenSSLError) -> String {
        guard let text = error.entries.last?.reasonText else { return "unknown" }
        let token = text.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }
        return token.isEmpty ? "unknown" : String(token)
    }
}

/// Speaks TLS as a client for one outgoing connection: the first handler of a
/// `pullguard-bench` (or test) channel. Ciphertext below, plaintext above.
///
/// The mirror of `TLSServerHandler`: decisions live in `TLSClientStateMachine`,
/// OpenSSL sits behind `OpenSSLClientConnection`, and this class only moves
/// bytes. It fires `TLSClientHandshakeCompleted` when the handshake completes
/// and a `TLSClientError` (with the server's alert by name) when it fails,
/// including a TLS 1.3 certificate refusal that only shows on the first read.
public final class TLSClientHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private let connection: OpenSSLClientConnection
    private var state = TLSClientStateMachine()
    /// Writes issued before the handshake finished, released in order once it has.
    private var pendingWrites: [(ByteBuffer, EventLoopPromise<Void>?)] = []

    /// - Parameters:
    ///   - serverName: SNI (and the name checked when the context verifies the server).
    ///   - session: a session from an earlier connection to offer for resumption.
    public init(context: OpenSSLClientContext, serverName: String?, session: OpenSSLClientSession? = nil) throws {
        connection = try OpenSSLClientConnection(context: context, serverName: serverName, session: session)
    }

    /// The session to resume with next time; TLS 1.3 tickets arrive after the handshake,
    /// so ask once the first response has been read.
    public func session() -> OpenSSLClientSession? {
        connection.session()
    }

    public var resumed: Bool { connection.resumed }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startHandshake(context: context) }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        failPendingWrites(ChannelError.ioOnClosedChannel)
    }

    // MARK: Inbound

    public func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        startHandshake(context: context)
    }

    private func startHandshake(context: ChannelHandlerContext) {
        guard state.channelActive() == .startHandshake else { return }
        stepHandshake(context: context)
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state.bytesReceived() {
        case .continueHandshake:
            connection.receive(ciphertext: unwrapInboundIn(data))
            stepHandshake(context: context)
        case .decrypt:
            connection.receive(ciphertext: unwrapInboundIn(data))
            decryptAndDeliver(context: context)
        case .ignore:
            break
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        switch state.channelInactive() {
        case .reportClosedDuringHandshake:
            context.fireErrorCaught(TLSClientError.closedDuringHandshake)
        case .forward:
            break
        }
        failPendingWrites(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    private func stepHandshake(context: ChannelHandlerContext) {
        let result = connection.handshake()
        let step: TLSClientStateMachine.HandshakeStep
        switch result {
        case .complete: step = .complete
        case .needsMoreData: step = .needsMoreData
        case .failed: step = .failed
        }
        switch state.handshakeStepped(step) {
        case .flushAndWait:
            flushCiphertext(context: context)
        case .announceEstablished:
            flushCiphertext(context: context)
            context.fireUserInboundEventTriggered(
                TLSClientHandshakeCompleted(resumed: connection.resumed, protocolVersion: connection.protocolVersion,
                                            alpn: connection.alpnSelected))
            releasePendingWrites(context: context)
            // The server may have sent tickets or data right behind its Finished.
            decryptAndDeliver(context: context)
        case .reportErrorAndClose:
            if case .failed(let error, _) = result {
                context.fireErrorCaught(TLSClientError(error))
            }
            flushCiphertext(context: context, thenClose: true)
        case .ignore:
            break
        }
    }

    private func decryptAndDeliver(context: ChannelHandlerContext) {
        let step: TLSClientStateMachine.ReadStep
        var failure: TLSClientError?
        var plaintext = context.channel.allocator.buffer(capacity: 0)
        let outcome = connection.read(into: &plaintext)
        // Plaintext read before a close_notify is delivered before the close is handled.
        if plaintext.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(plaintext))
        }
        switch outcome {
        case .data:
            step = .data
        case .needsMoreData:
            step = .data
        case .closed:
            step = .peerClosed
        case .failed(let error, _):
            step = .failed
            failure = TLSClientError(error)
        }
        switch state.readStepped(step) {
        case .deliver, .ignore:
            break
        case .closeGracefully:
            context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            context.close(promise: nil)
        case .reportErrorAndClose:
            if let failure { context.fireErrorCaught(failure) }
            context.close(promise: nil)
        }
    }

    // MARK: Outbound

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let plaintext = unwrapOutboundIn(data)
        switch state.writeRequested() {
        case .buffer:
            pendingWrites.append((plaintext, promise))
        case .encrypt:
            encrypt(plaintext, promise: promise, context: context)
        case .fail:
            promise?.fail(ChannelError.ioOnClosedChannel)
        }
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all else {
            context.close(mode: mode, promise: promise)
            return
        }
        switch state.closeRequested() {
        case .sendCloseNotifyThenClose:
            connection.shutdown()
            guard let records = connection.takeCiphertext(allocator: context.channel.allocator) else {
                context.close(promise: promise)
                return
            }
            // Close whatever the write's outcome: the peer may already have closed its side.
            context.writeAndFlush(wrapOutboundOut(records)).assumeIsolated().whenComplete { _ in
                context.close(promise: promise)
            }
        case .closeNow:
            context.close(mode: mode, promise: promise)
        }
    }

    private func encrypt(_ plaintext: ByteBuffer, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        let bytes = plaintext.readableBytesView
        if let error = connection.write(plaintext: Array(bytes)) {
            promise?.fail(error)
            context.fireErrorCaught(TLSClientError(error))
            context.close(promise: nil)
            return
        }
        if let records = connection.takeCiphertext(allocator: context.channel.allocator) {
            context.write(wrapOutboundOut(records), promise: promise)
        } else {
            promise?.succeed(())
        }
    }

    private func releasePendingWrites(context: ChannelHandlerContext) {
        guard !pendingWrites.isEmpty else { return }
        let writes = pendingWrites
        pendingWrites = []
        for (plaintext, promise) in writes {
            encrypt(plaintext, promise: promise, context: context)
        }
        context.flush()
    }

    private func failPendingWrites(_ error: Error) {
        let writes = pendingWrites
        pendingWrites = []
        for (_, promise) in writes { promise?.fail(error) }
    }

    private func flushCiphertext(context: ChannelHandlerContext, thenClose: Bool = false) {
        guard let records = connection.takeCiphertext(allocator: context.channel.allocator) else {
            if thenClose { context.close(promise: nil) }
            return
        }
        let written = context.writeAndFlush(wrapOutboundOut(records))
        if thenClose {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
