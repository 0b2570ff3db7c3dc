internal import COpenSSL

/// Owns one OpenSSL `EVP_PKEY`, the only Swift owner of one: a server's or
/// client's key loaded from PEM, or a key the certificate generator made
/// (`PrivateKey+Generation.swift`).
public final class PrivateKey: @unchecked Sendable {
    // `@unchecked Sendable`: never mutated after loading or generating; OpenSSL refcounts it atomically.
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        EVP_PKEY_free(pointer)
    }

    /// Loads the first private key in a PEM file (PKCS#8, PKCS#1 RSA or SEC1 EC).
    /// Encrypted keys are refused (the password callback answers "no password"): a proxy
    /// that restarts unattended must never block on a terminal prompt.
    public static func load(pem: [UInt8], origin: String) throws -> PrivateKey {
        OpenSSLError.clearQueue()
        return try withMemoryBIO(pem) { bio in
            guard let key = PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil) else {
                throw OpenSSLError.drain("reading private key \(origin) (expected an unencrypted PEM private key)")
            }
            return PrivateKey(taking: key)
        }
    }
}
