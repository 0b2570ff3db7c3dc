import PullGuardCore
/// What the client role of the OpenSSL wrapper does: used by `pullguard-bench`
/// and by tests that need a real TLS peer in memory.
public struct TLSClientSettings: Sendable {
    public enum Version: String, Sendable {
        case tls12 = "1.2"
        case tls13 = "1.3"
    }

    /// Client certificate chain and key (mTLS identity); nil sends no certificate.
    public var identity: ServerIdentitySource?
    /// Roots to verify the server against; nil with `verifyServer` false means `--insecure`.
    public var trustRoots: PEMSource?
    public var verifyServer: Bool
    /// Pin one protocol version; nil negotiates TLS 1.2–1.3.
    public var version: Version?
    /// ECDHE groups, OpenSSL syntax (`X25519:P-256`); nil keeps OpenSSL's defaults.
    public var groups: String?
    public var alpn: [String]
    /// OpenSSL security level for the client's own checks; nil keeps the system default.
    /// Tests lower it to present deliberately weak certificates.
    public var securityLevel: Int?
    /// TLS 1.2 cipher list, OpenSSL syntax; nil keeps OpenSSL's defaults.
    public var cipherList: String?

    public init(identity: ServerIdentitySource? = nil, trustRoots: PEMSource? = nil, verifyServer: Bool = true,
                version: Version? = nil, groups: String? = nil, alpn: [String] = ["http/1.1"], cipherList: String? = nil) {
        self.cipherList = cipherList
        self.identity = identity
        self.trustRoots = trustRoots
        self.verifyServer = verifyServer
        self.version = version
        self.groups = groups
        self.alpn = alpn
    }
}
