/// The fixed protocol choices: what PullGuard offers every client.
///
/// Not configurable on purpose: these are the safe defaults nginx users would have
/// to write by hand (TLS 1.2+, ECDHE only, AEAD only).
enum TLSProtocolPolicy {
    /// TLS 1.2 suites: ECDHE key exchange with AEAD ciphers only, ECDSA first.
    static let tls12Ciphers = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")
    /// TLS 1.3 suites (all AEAD by definition).
    static let tls13Ciphersuites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
    /// X25519 first: the cheapest key exchange; P-256 for clients without it.
    static let groups = "X25519:P-256"
    /// Bounded server-side session cache (entries per listener); the oldest goes first.
    static let sessionCacheSize = 20_480
}
