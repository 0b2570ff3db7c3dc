internal import COpenSSL
import NIOCore

/// The two memory BIOs between one `SSL` and the network, shared by the server
/// (`OpenSSLConnection`) and client (`OpenSSLClientConnection`) connections:
/// bytes from the network go in through `receive(_:)`, bytes for the network
/// come out of `take(allocator:)`. No socket is ever touched, which is what lets
/// the TLS handler and its tests run over in-memory channels.
///
/// Not an owner: `SSL_set_bio` hands both BIOs to the `SSL`, which frees them in
/// `SSL_free`. The pointers stay valid exactly as long as the connection that
/// owns the `SSL` (and holds this value) is alive.
struct MemoryBIOPair {
    private let networkToSSL: OpaquePointer
    private let sslToNetwork: OpaquePointer

    /// Creates both BIOs and attaches them to `ssl`. On failure nothing is
    /// attached or leaked, and the caller still owns (and must free) `ssl`.
    init(attachingTo ssl: OpaquePointer) throws {
        guard let input = BIO_new(BIO_s_mem()) else { throw OpenSSLError.drain("creating memory BIOs") }
        guard let output = BIO_new(BIO_s_mem()) else {
            BIO_free(input)
            throw OpenSSLError.drain("creating memory BIOs")
        }
        // An empty input BIO means "wait for more bytes", never end-of-file.
        _ = CPullGuardOpenSSL_BIO_set_mem_eof_return(input, -1)
        _ = CPullGuardOpenSSL_BIO_set_mem_eof_return(output, -1)
        SSL_set_bio(ssl, input, output)  // the SSL now owns both BIOs
        networkToSSL = input
        sslToNetwork = output
    }

    /// A new `SSL` from `context` with a fresh pair attached, for a connection
    /// class to own (it must `SSL_free` the pointer in its `deinit`).
    /// `operation` names the connection in errors.
    static func newSSL(from context: OpaquePointer, _ operation: String) throws -> (ssl: OpaquePointer, bios: MemoryBIOPair) {
        OpenSSLError.clearQueue()
        guard let ssl = SSL_new(context) else { throw OpenSSLError.drain(operation) }
        do {
            return (ssl, try MemoryBIOPair(attachingTo: ssl))
        } catch {
            SSL_free(ssl)
            throw error
        }
    }

    /// Hands bytes read from the socket to OpenSSL.
    func receive(_ ciphertext: ByteBuffer) {
        ciphertext.withUnsafeReadableBytes { bytes in
            guard let base = bytes.baseAddress, bytes.count > 0 else { return }
            // A memory BIO grows as needed: the write takes everything.
            _ = BIO_write(networkToSSL, base, Int32(bytes.count))
        }
    }

    /// Received bytes OpenSSL has not read yet.
    var hasUnreadInput: Bool {
        CPullGuardOpenSSL_BIO_ctrl_pending(networkToSSL) > 0
    }

    /// Everything OpenSSL has produced for the network (handshake records, alerts, data).
    func take(allocator: ByteBufferAllocator) -> ByteBuffer? {
        let pending = CPullGuardOpenSSL_BIO_ctrl_pending(sslToNetwork)
        guard pending > 0 else { return nil }
        var buffer = allocator.buffer(capacity: pending)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: pending) { target in
            Int(max(0, BIO_read(sslToNetwork, target.baseAddress, Int32(pending))))
        }
        return buffer
    }
}
