internal import COpenSSL

/// Memory-BIO helpers for moving PEM text in and out of OpenSSL.
///
/// Each BIO lives only for the duration of one closure and is freed with
/// `defer`, so no BIO pointer escapes the generator.
enum CertificateBIO {
    /// Hands `body` a read-only memory BIO over `text`. The BIO borrows the
    /// bytes, so it must not outlive the closure; it does not.
    static func reading<T>(_ text: String, _ operation: String, _ body: (OpaquePointer) throws -> T) throws -> T {
        var bytes = Array(text.utf8)
        return try bytes.withUnsafeMutableBytes { raw in
            let bio = try certificateCall(operation) { BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) }
            defer { BIO_free(bio) }
            return try body(bio)
        }
    }

    /// Hands `body` an empty writable memory BIO and returns what it wrote as a string.
    static func writing(_ operation: String, _ body: (OpaquePointer) throws -> Void) throws -> String {
        let bio = try certificateCall(operation) { BIO_new(BIO_s_mem()) }
        defer { BIO_free(bio) }
        try body(bio)
        var data: UnsafeMutablePointer<CChar>? = nil
        let length = CPullGuardOpenSSL_BIO_get_mem_data(bio, &data)
        guard length > 0, let data else {
            throw CertificateIssuerError(operation: operation + " (nothing was written)")
        }
        return data.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
            String(decoding: UnsafeBufferPointer(start: $0, count: Int(length)), as: UTF8.self)
        }
    }
}
