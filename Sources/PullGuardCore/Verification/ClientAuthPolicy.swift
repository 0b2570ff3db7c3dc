/// How one site treats client certificates: the policy half of verification.
///
/// OpenSSL builds and checks the chain against the site's trust store; this value
/// holds everything else a site decides, and is evaluated on `CertificateFacts`
/// only (see `ClientCertificatePolicy+Evaluate.swift`).
public struct ClientAuthPolicy: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable {
        /// No certificate or a bad one fails the handshake (nginx `ssl_verify_client on`).
        case require
        /// Report-only onboarding: every connection is accepted, the verdict is sent upstream
        /// (nginx `ssl_verify_client optional_no_ca`).
        case optional
    }

    public var mode: Mode
    /// Maximum number of intermediate CA certificates between the client's certificate
    /// and a trust anchor (nginx / OpenSSL `verify_depth`); 0 = issued directly by a trusted CA.
    public var verifyDepth: Int
    /// Let a trusted intermediate act as an anchor (`X509_V_FLAG_PARTIAL_CHAIN`).
    public var partialChain: Bool
    /// Checked after the chain verified; any one entry admits. Empty admits every verified client.
    public var allowList: AllowList
    /// RSA keys below this many bits are refused anywhere in the chain.
    public var minimumRSABits: Int
    /// Signature digests refused anywhere in the chain below the trust anchor.
    public var forbiddenDigests: Set<SignatureDigest>

    public init(
        mode: Mode = .require, verifyDepth: Int = 1, partialChain: Bool = false,
        allowList: AllowList = AllowList(), minimumRSABits: Int = 2048,
        forbiddenDigests: Set<SignatureDigest> = [.md5, .sha1]
    ) {
        self.mode = mode
        self.verifyDepth = verifyDepth
        self.partialChain = partialChain
        self.allowList = allowList
        self.minimumRSABits = minimumRSABits
        self.forbiddenDigests = forbiddenDigests
    }
}

/// Allow-list entries on top of the chain check (ghostunnel's `--allow-*`): any one match admits.
public struct AllowList: Sendable, Hashable {
    /// Full subject DNs in RFC 2253 form, compared case-insensitively.
    public var subjects: [String]
    public var commonNames: [String]
    public var dnsNames: [String]
    public var uris: [String]
    /// SHA-256 fingerprints of the leaf (hex; colons and case ignored).
    public var fingerprints: [String]
    /// SHA-256 of the leaf's SubjectPublicKeyInfo (hex; colons and case ignored).
    public var spkiSHA256: [String]

    public init(
        subjects: [String] = [], commonNames: [String] = [], dnsNames: [String] = [],
        uris: [String] = [], fingerprints: [String] = [], spkiSHA256: [String] = []
    ) {
        self.subjects = subjects
        self.commonNames = commonNames
        self.dnsNames = dnsNames
        self.uris = uris
        self.fingerprints = fingerprints
        self.spkiSHA256 = spkiSHA256
    }

    public var isEmpty: Bool {
        subjects.isEmpty && commonNames.isEmpty && dnsNames.isEmpty && uris.isEmpty
            && fingerprints.isEmpty && spkiSHA256.isEmpty
    }
}
