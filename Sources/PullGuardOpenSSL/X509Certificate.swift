internal import COpenSSL

/// Owns one OpenSSL `X509`, the only Swift owner of one: the TLS layer (chains,
/// peers, trust anchors) and the certificate generator (`+Building`) share it.
/// Certificates borrowed from OpenSSL (a peer's chain) are up-referenced so this
/// owner's `deinit` can always free.
public final class X509Certificate: @unchecked Sendable {
    // `@unchecked Sendable`: an X509 is immutable once parsed or signed and OpenSSL
    // reference-counts it atomically; only the generator mutates one, while
    // building it and before anyone else can see it.
    let pointer: OpaquePointer

    /// Takes ownership of an already-referenced pointer.
    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    /// Shares a pointer OpenSSL still owns, by taking our own reference.
    init(borrowing pointer: OpaquePointer) {
        X509_up_ref(pointer)
        self.pointer = pointer
    }

    deinit {
        X509_free(pointer)
    }

    /// Every certificate in a PEM bundle, in file order.
    /// - Parameter origin: names the source in errors.
    public static func loadAll(pem: [UInt8], origin: String) throws -> [X509Certificate] {
        OpenSSLError.clearQueue()
        var certificates: [X509Certificate] = []
        try withMemoryBIO(pem) { bio in
            while let cert = PEM_read_bio_X509(bio, nil, nil, nil) {
                certificates.append(X509Certificate(taking: cert))
            }
        }
        // Reaching the end of the data leaves a "no start line" entry; anything
        // else means a block was present but broken.
        let trailing = ERR_peek_last_error()
        if trailing != 0 && !(ERR_GET_LIB(trailing) == ERR_LIB_PEM && ERR_GET_REASON(trailing) == PEM_R_NO_START_LINE) {
            throw OpenSSLError.drain("reading certificates from \(origin)")
        }
        OpenSSLError.clearQueue()
        if certificates.isEmpty {
            throw OpenSSLError(operation: "\(origin) holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)")
        }
        return certificates
    }

    /// The DER encoding.
    public var der: [UInt8] {
        let length = i2d_X509(pointer, nil)
        guard length > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        bytes.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            _ = i2d_X509(pointer, &cursor)
        }
        return bytes
    }

    /// SHA-256 over the DER certificate, lower-case hex.
    public var sha256Fingerprint: String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(pointer, EVP_sha256(), &digest, &length) == 1 else { return "" }
        return hexString(digest.prefix(Int(length)))
    }

    /// The subject in RFC 2253 form, for messages.
    public var subjectDescription: String {
        X509Name.rfc2253(X509_get_subject_name(pointer))
    }
}
