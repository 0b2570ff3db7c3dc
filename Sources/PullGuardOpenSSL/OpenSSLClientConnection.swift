internal import COpenSSL
import NIOCore

/// Owns one client-role `SSL` over a `MemoryBIOPair`, the mirror image of `OpenSSLConnection`.
public final class OpenSSLClientConnection {
    let pointer: OpaquePointer
    private let bios: MemoryBIOPair
    private let context: OpenSSLClientContext

    /// - Parameters:
    ///   - serverName: sent as SNI and checked against the server certificate when verifying.
    ///   - session: a session from an earlier connection to resume.
    public init(context: OpenSSLClientContext, serverName: String?, session: OpenSSLClientSession? = nil) throws {
        let (ssl, bios) = try MemoryBIOPair.newSSL(from: context.pointer, "creating a client TLS connection")
        self.bios = bios
        SSL_set_connect_state(ssl)
        if let session { _ = SSL_set_session(ssl, session.pointer) }
        if let serverName {
            _ = CPullGuardOpenSSL_SSL_set_tlsext_host_name(ssl, serverName)
            _ = SSL_set1_host(ssl, serverName)
        }
        pointer = ssl
        self.context = context
    }

    deinit {
        // Freeing an SSL without a close_notify exchange makes OpenSSL mark its session
        // non-resumable (and that session object is shared with whoever kept it for
        // `--mode resume`). A completed handshake ended by closing the socket is a clean
        // end for our purposes; fatal errors have already invalidated the session.
        if SSL_is_init_finished(pointer) == 1 {
            SSL_set_shutdown(pointer, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN)
        }
        SSL_free(pointer)
    }

    /// Hands bytes read from the server to OpenSSL.
    public func receive(ciphertext: ByteBuffer) {
        bios.receive(ciphertext)
    }

    /// Everything OpenSSL has produced for the server.
    public func takeCiphertext(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer? {
        bios.take(allocator: allocator)
    }

    public enum Step: Sendable {
        case complete
        case needsMoreData
        /// The handshake failed; `alert` is the TLS alert the server sent, when it sent one.
        case failed(OpenSSLError, alert: TLSAlert?)
    }

    public func handshake() -> Step {
        OpenSSLError.clearQueue()
        let result = SSL_do_handshake(pointer)
        if result == 1 { return .complete }
        return step(for: result)
    }

    private func step(for result: Int32) -> Step {
        switch SSL_get_error(pointer, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .needsMoreData
        default:
            let error = OpenSSLError.drain("client TLS")
            return .failed(error, alert: error.receivedAlert)
        }
    }

    public func write(plaintext: [UInt8]) -> OpenSSLError? {
        OpenSSLError.clearQueue()
        let written = plaintext.withUnsafeBytes { SSL_write(pointer, $0.baseAddress, Int32($0.count)) }
        return written == plaintext.count ? nil : OpenSSLError.drain("client write")
    }

    public enum ReadResult: Sendable {
        case data([UInt8])
        case needsMoreData
        case closed
        case failed(OpenSSLError, alert: TLSAlert?)
    }

    /// Reads the plaintext available now. In TLS 1.3 this is also where a client learns
    /// that the server refused its certificate: the alert arrives after the client's Finished.
    public func read() -> ReadResult {
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        switch read(into: &buffer) {
        case .data: return .data(buffer.readBytes(length: buffer.readableBytes) ?? [])
        case .needsMoreData: return .needsMoreData
        case .closed where buffer.readableBytes > 0: return .data(buffer.readBytes(length: buffer.readableBytes) ?? [])
        case .closed: return .closed
        case .failed(let error, let alert): return .failed(error, alert: alert)
        }
    }

    /// Outcome of `read(into:)`: the plaintext, if any, is already in the buffer.
    public enum BufferReadResult: Sendable {
        case data
        case needsMoreData
        case closed
        case failed(OpenSSLError, alert: TLSAlert?)
    }

    /// Decrypts everything available straight into `buffer` (no intermediate array), as
    /// the load generator's handler does on every read.
    public func read(into buffer: inout ByteBuffer) -> BufferReadResult {
        switch SSLApplicationRead.readAvailable(pointer, into: &buffer, operation: "client read") {
        case .data: return .data
        case .needsMoreData: return .needsMoreData
        case .closed: return .closed
        case .failed(let error): return .failed(error, alert: error.receivedAlert)
        }
    }

    /// The session to resume with next time (TLS 1.3 delivers it after the handshake, on read).
    public func session() -> OpenSSLClientSession? {
        guard let session = SSL_get1_session(pointer) else { return nil }
        guard SSL_SESSION_is_resumable(session) == 1 else {
            SSL_SESSION_free(session)
            return nil
        }
        return OpenSSLClientSession(taking: session)
    }

    public var resumed: Bool { SSL_session_reused(pointer) == 1 }
    public var protocolVersion: String { String(cString: SSL_get_version(pointer)) }

    /// The protocol the server selected by ALPN (`h2`, `http/1.1`); nil when it selected none.
    public var alpnSelected: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(pointer, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    public func shutdown() {
        OpenSSLError.clearQueue()
        _ = SSL_shutdown(pointer)
        OpenSSLError.clearQueue()
    }
}
