/// The result of client-certificate verification for one connection, as the
/// proxy sees it. The proxy never verifies anything itself: it turns this into
/// identity headers.
public enum VerificationOutcome: Sendable, Hashable {
    /// The chain verified and the site's policy admitted it.
    case success(PeerIdentity)
    /// The client sent no certificate (only reachable in `optional` mode).
    case none
    /// Verification failed; only forwarded in `optional` mode.
    case failed(VerificationFailure)

    /// nginx's `$ssl_client_verify`: `SUCCESS`, `NONE` or `FAILED:<reason>`.
    public var headerValue: String {
        switch self {
        case .success: return "SUCCESS"
        case .none: return "NONE"
        case .failed(let failure): return "FAILED:\(failure.reason)"
        }
    }

    /// The presented leaf, whether or not it verified.
    public var leaf: CertificateFacts? {
        switch self {
        case .success(let identity): return identity.chain.first
        case .none: return nil
        case .failed(let failure): return failure.presentedLeaf
        }
    }
}

/// A verified client: its chain (leaf first, trust anchor last) and which trust source anchored it.
public struct PeerIdentity: Sendable, Hashable {
    public var chain: [CertificateFacts]
    /// The configured trust source whose anchor ended the chain: `cloudflare` or a bundle path.
    public var trustSource: String
    /// The anchor's position in its site's `SiteInventory.anchors` (nil when unknown): what
    /// the per-anchor admission counter is indexed by, so a handshake records its anchor
    /// with an array index instead of building or hashing a label string.
    public var anchorIndex: Int?

    public init(chain: [CertificateFacts], trustSource: String, anchorIndex: Int? = nil) {
        precondition(!chain.isEmpty, "a verified identity has at least its leaf")
        self.chain = chain
        self.trustSource = trustSource
        self.anchorIndex = anchorIndex
    }

    public var leaf: CertificateFacts { chain[0] }
    /// True when the chain ends at the pinned Cloudflare Authenticated Origin Pulls CA.
    public var isCloudflare: Bool { trustSource == TrustSourceName.cloudflare }
}

public enum TrustSourceName {
    /// The config keyword for the shipped, fingerprint-pinned Cloudflare AOP CA.
    public static let cloudflare = "cloudflare"
}

/// Why a client certificate was refused, with what the refusal log line needs.
public struct VerificationFailure: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// OpenSSL's chain check failed with this `X509_V_ERR_*` code.
        case chain(code: Int32)
        /// The chain verified but a PullGuard policy refused it.
        case policy(PolicyRefusal)
    }
    public var kind: Kind
    /// Short reason for logs and `X-Client-Verify: FAILED:<reason>`, e.g. `certificate has expired`.
    public var reason: String
    /// Name of the OpenSSL verify error (`X509_V_ERR_CERT_HAS_EXPIRED`) or of the policy (`policy:allow_list`).
    public var errorName: String
    /// Depth in the chain where it failed (0 = the client's own certificate).
    public var depth: Int
    /// The certificate at `depth`, when there was one.
    public var certificate: CertificateFacts?
    /// The client's own certificate, when it sent one.
    public var presentedLeaf: CertificateFacts?

    public init(kind: Kind, reason: String, errorName: String, depth: Int,
                certificate: CertificateFacts?, presentedLeaf: CertificateFacts?) {
        self.kind = kind
        self.reason = reason
        self.errorName = errorName
        self.depth = depth
        self.certificate = certificate
        self.presentedLeaf = presentedLeaf
    }
}

/// A refusal decided by PullGuard's own policy after OpenSSL accepted the chain.
public enum PolicyRefusal: Sendable, Hashable {
    /// The leaf carries an extendedKeyUsage without clientAuth (or anyExtendedKeyUsage).
    case missingClientAuthUsage
    /// An RSA key in the chain is shorter than the site's minimum.
    case weakKey(bits: Int, depth: Int)
    /// A certificate in the chain is signed with a forbidden digest (MD5, SHA-1).
    case weakSignature(SignatureDigest, depth: Int)
    /// The allow-list is not empty and nothing in it matched the leaf.
    case notAllowListed
}
