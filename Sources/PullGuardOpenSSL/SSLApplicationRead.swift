internal import COpenSSL
import NIOCore

/// Reading decrypted application data out of an `SSL`, shared by the server and
/// client connections so both treat `SSL_get_error` the same way.
enum SSLApplicationRead {
    enum Outcome {
        /// Some plaintext was appended to the buffer.
        case data
        case needsMoreData
        /// The peer sent close_notify; plaintext that came before it in this call is
        /// already in the buffer, so callers deliver the buffer before closing.
        case closed
        /// `SSL_read` failed; the error queue is drained into the value.
        case failed(OpenSSLError)
    }

    /// Decrypts everything available into `buffer`, 16 KiB of room at a time
    /// (one TLS record's worth), straight into NIO's storage.
    static func readAvailable(_ ssl: OpaquePointer, into buffer: inout ByteBuffer, operation: String) -> Outcome {
        var produced = false
        while true {
            OpenSSLError.clearQueue()
            var count: Int32 = 0
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 16_384) { target in
                count = SSL_read(ssl, target.baseAddress, Int32(target.count))
                return count > 0 ? Int(count) : 0
            }
            if count > 0 {
                produced = true
                continue
            }
            switch SSL_get_error(ssl, count) {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                return produced ? .data : .needsMoreData
            case SSL_ERROR_ZERO_RETURN:
                return .closed
            default:
                return .failed(OpenSSLError.drain(operation))
            }
        }
    }
}
