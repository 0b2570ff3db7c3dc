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
            return try PrivateKey(taking: key).onLegacyKeyPath(origin: origin)
        }
    }

    /// OpenSSL 3.0 reads PEM keys into its provider form. With `BuiltInKeyEngine`
    /// registered every EC and RSA operation runs on the legacy (`EC_KEY`, `RSA`) path,
    /// which cannot sign certificates with a provider-form key, so such keys are
    /// converted once here.
    private func onLegacyKeyPath(origin: String) throws -> PrivateKey {
        guard BuiltInKeyEngine.isRegistered, BuiltInKeyEngine.keyTypes.contains(EVP_PKEY_get_base_id(pointer)) else {
            return self
        }
        guard let converted = CPullGuardOpenSSL_EVP_PKEY_legacy_copy(pointer) else {
            throw OpenSSLError.drain("converting private key \(origin) to OpenSSL's legacy key form")
        }
        return PrivateKey(taking: converted)
    }
}
