internal import COpenSSL

/// Owns one `EVP_PKEY` for the certificate generator and frees it in `deinit`.
///
/// Internal on purpose: the public API only ever sees PEM text.
final class CertificatePrivateKey {
    let pointer: OpaquePointer

    private init(owning pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        EVP_PKEY_free(pointer)
    }

    /// Generates a fresh key. RSA sizes down to 1024 bits are accepted because the
    /// tests need weak keys to prove the weak-key policy rejects them.
    static func generate(_ algorithm: KeyAlgorithm) throws -> CertificatePrivateKey {
        switch algorithm {
        case .ecdsaP256:
            let key = try openSSLCall("generating an EC P-256 key") {
                "P-256".withCString { CPullGuardOpenSSL_EVP_EC_gen($0) }
            }
            return CertificatePrivateKey(owning: key)
        case .rsa(let bits):
            guard (1024...16384).contains(bits) else {
                throw OpenSSLError(operation: "generating an RSA key: \(bits) bits is outside 1024...16384", queue: [])
            }
            let key = try openSSLCall("generating an RSA-\(bits) key") {
                CPullGuardOpenSSL_EVP_RSA_gen(UInt32(bits))
            }
            return CertificatePrivateKey(owning: key)
        }
    }

    /// Parses a PEM private key (PKCS#8 or traditional), unencrypted.
    convenience init(pem: String) throws {
        let key = try withMemoryBIO(Array(pem.utf8)) { bio in
            try openSSLCall("parsing the private key PEM") { PEM_read_bio_PrivateKey(bio, nil, nil, nil) }
        }
        self.init(owning: key)
    }

    /// True for RSA keys, which also get keyEncipherment in leaf certificates
    /// (RSA key transport), unlike EC keys.
    var isRSA: Bool {
        EVP_PKEY_get_base_id(pointer) == EVP_PKEY_RSA
    }

    /// The key as unencrypted PKCS#8 PEM (`BEGIN PRIVATE KEY`), the format
    /// Cloudflare, nginx and our own loader all accept.
    func pkcs8PEM() throws -> String {
        try pemText("writing the private key PEM") { bio in PEM_write_bio_PKCS8PrivateKey(bio, pointer, nil, nil, 0, nil, nil) }
    }
}
