internal import COpenSSL

/// Scoped memory BIOs for moving PEM and printed text in and out of OpenSSL.
///
/// Each BIO lives only for one closure and is freed with `defer`, so no BIO
/// pointer escapes: the TLS layer's loaders and the certificate generator use
/// these same two helpers rather than each managing BIOs of their own.

/// Runs `body` with a read-only memory BIO over `bytes`, freeing the BIO afterwards.
/// The BIO borrows the bytes, so it must not outlive the closure; it does not.
func withMemoryBIO<Result>(_ bytes: [UInt8], _ body: (OpaquePointer) throws -> Result) throws -> Result {
    // Every PEM key, certificate and CRL is read through here: the key engine must be
    // in place before the first one is parsed.
    BuiltInKeyEngine.prepare()
    return try bytes.withUnsafeBytes { raw in
        guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else {
            throw OpenSSLError.drain("allocating a memory BIO")
        }
        defer { BIO_free(bio) }
        return try body(bio)
    }
}

/// Runs `body` with an empty, growable memory BIO and returns what it wrote,
/// decoded as UTF-8 ("" when it wrote nothing).
///
/// Touches the error queue only if the BIO cannot be allocated, so it is safe
/// inside handshake callbacks (names are printed there for verification facts).
func textWritten(by body: (OpaquePointer) throws -> Void) throws -> String {
    guard let bio = BIO_new(BIO_s_mem()) else { throw OpenSSLError.drain("allocating a memory BIO") }
    defer { BIO_free(bio) }
    try body(bio)
    var data: UnsafeMutablePointer<CChar>? = nil
    let length = CPullGuardOpenSSL_BIO_get_mem_data(bio, &data)
    guard length > 0, let data else { return "" }
    return data.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
        String(decoding: UnsafeBufferPointer(start: $0, count: Int(length)), as: UTF8.self)
    }
}

/// PEM text from one `PEM_write_bio_*` call; `operation` names it in errors.
/// An empty result is an error: every PEM object has at least its BEGIN line.
func pemText(_ operation: String, _ write: (OpaquePointer) -> Int32) throws -> String {
    let text = try textWritten { bio in try openSSLCall(operation) { write(bio) } }
    guard !text.isEmpty else { throw OpenSSLError(operation: operation + " (nothing was written)") }
    return text
}
