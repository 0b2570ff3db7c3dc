internal import COpenSSL

/// The certificate generator's facet of `PrivateKey`: fresh keys, and PEM output.
extension PrivateKey {
    /// Generates a fresh key. RSA sizes down to 1024 bits are accepted because the
    /// tests need weak keys to prove the weak-key policy rejects them.
    static func generate(_ algorithm: KeyAlgorithm) throws -> PrivateKey {
        BuiltInKeyEngine.prepare()
        switch algorithm {
        case .ecdsaP256:
            // The curve's short name: OpenSSL's legacy EC path, which every EC key
            // takes once `BuiltInKeyEngine` is registered, does not know "P-256".
            let key = try openSSLCall("generating an EC P-256 key") {
                "prime256v1".withCString { CPullGuardOpenSSL_EVP_EC_gen($0) }
            }
            return PrivateKey(taking: key)
        case .rsa(let bits):
            guard (1024...16384).contains(bits) else {
                throw OpenSSLError(operation: "generating an RSA key: \(bits) bits is outside 1024...16384")
            }
            let key = try openSSLCall("generating an RSA-\(bits) key") {
                CPullGuardOpenSSL_EVP_RSA_gen(UInt32(bits))
            }
            return PrivateKey(taking: key)
        }
    }

    /// True for RSA keys, which also get keyEncipherment in leaf certificates
    /// (RSA key transport), unlike EC keys.
    var isRSA: Bool {
        EVP_PKEY_get_base_id(pointer) == EVP_PKEY_RSA
    }

    /// The key as unencrypted PKCS#8 PEM (`BEGIN PRIVATE KEY`), the format
    /// Cloudflare, nginx and our own loader all accept.
    func pkcs8PEM() throws -> String {
        try pemText("writing the private key PEM") { bio in
            PEM_write_bio_PKCS8PrivateKey(bio, pointer, nil, nil, 0, nil, nil)
        }
    }
}
