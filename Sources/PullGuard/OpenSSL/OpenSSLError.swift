internal import COpenSSL

/// A failed OpenSSL call, with the library's error queue drained into text.
///
/// OpenSSL reports failures through a thread-local queue; reading it right where
/// the call failed (and clearing it before the call) is what keeps one
/// connection's error from being blamed on the next.
public struct OpenSSLError: Error, CustomStringConvertible, Sendable {
    /// What we were doing, in words a user understands ("loading private key /etc/x.key").
    public var operation: String
    /// The drained queue, oldest first, e.g. `error:05800074:x509 certificate routines::key values mismatch`.
    public var queue: [String]
    /// The TLS alert the peer sent us, when the failure was one (`unknown_ca`, ...).
    public var receivedAlert: TLSAlert?

    public init(operation: String, queue: [String], receivedAlert: TLSAlert? = nil) {
        self.operation = operation
        self.queue = queue
        self.receivedAlert = receivedAlert
    }

    public var description: String {
        queue.isEmpty ? operation : "\(operation): \(queue.joined(separator: "; "))"
    }

    /// Drains the calling thread's OpenSSL error queue into an error value.
    static func drain(_ operation: String) -> OpenSSLError {
        var entries: [String] = []
        var alert: TLSAlert?
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            // libssl files a received alert as reason 1000 + alert number.
            if CPullGuardOpenSSL_ERR_is_alert_reason(code) == 1 {
                alert = TLSAlert(code: UInt8(CPullGuardOpenSSL_ERR_alert_code(code)))
            }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            entries.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return OpenSSLError(operation: operation, queue: entries, receivedAlert: alert)
    }

    /// Clears stale entries so the next failure reads only its own.
    static func clearQueue() {
        ERR_clear_error()
    }
}

/// Runs `body` with a memory BIO over `bytes`, freeing the BIO afterwards.
func withMemoryBIO<Result>(_ bytes: [UInt8], _ body: (OpaquePointer) throws -> Result) throws -> Result {
    try bytes.withUnsafeBytes { raw in
        guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else {
            throw OpenSSLError.drain("allocating a memory BIO")
        }
        defer { BIO_free(bio) }
        return try body(bio)
    }
}

/// Lower-case hex of bytes.
func hexString<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    let digits: [Character] = Array("0123456789abcdef")
    var out = ""
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0f)])
    }
    return out
}
