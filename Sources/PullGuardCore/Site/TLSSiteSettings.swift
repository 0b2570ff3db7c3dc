import NIOCore

/// What TLS does for one site: its server identities and how it verifies clients.
/// The TLS half of a `Site` (`site.tls`); the site's name and server names are the
/// `Site`'s own, not copied here.
///
/// Everything here is already-read bytes: the Config layer reads files once,
/// and `ServerContextSet` turns these values into OpenSSL contexts off the event loop.
public struct TLSSiteSettings: Sendable {
    /// One or more certificate/key pairs (an ECDSA and an RSA side by side); OpenSSL picks per client.
    public var identities: [ServerIdentitySource]
    /// Trust anchors for client certificates, in config order.
    public var trustSources: [TrustSource]
    /// PEM CRLs, checked for the leaf and every CA in the chain when present.
    public var crls: [PEMSource]
    public var clientAuth: ClientAuthPolicy
    /// ALPN protocols offered, in server preference order.
    public var alpn: [String]

    public init(
        identities: [ServerIdentitySource],
        trustSources: [TrustSource], crls: [PEMSource] = [], clientAuth: ClientAuthPolicy = ClientAuthPolicy(),
        alpn: [String] = ["http/1.1"]
    ) {
        self.identities = identities
        self.trustSources = trustSources
        self.crls = crls
        self.clientAuth = clientAuth
        self.alpn = alpn
    }
}

/// PEM text together with where it came from, so every error can name the file.
public struct PEMSource: Sendable, Hashable {
    /// A path, or a descriptive label like `built-in cloudflare CA`.
    public var origin: String
    public var pem: [UInt8]

    public init(origin: String, pem: [UInt8]) {
        self.origin = origin
        self.pem = pem
    }
}

/// A server certificate chain (leaf first, then intermediates) and its private key.
public struct ServerIdentitySource: Sendable, Hashable {
    public var certificateChain: PEMSource
    public var privateKey: PEMSource

    public init(certificateChain: PEMSource, privateKey: PEMSource) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
    }
}

/// One configured trust source: the pinned Cloudflare CA or a PEM bundle.
public struct TrustSource: Sendable, Hashable {
    /// `cloudflare` or the bundle's path: reported upstream and used for the CF-Connecting-IP rule.
    public var name: String
    public var bundle: PEMSource
    /// When set, every certificate in `bundle` must have this SHA-256 fingerprint (lower-case hex).
    public var pinnedSHA256: String?

    public init(name: String, bundle: PEMSource, pinnedSHA256: String? = nil) {
        self.name = name
        self.bundle = bundle
        self.pinnedSHA256 = pinnedSHA256
    }
}

/// The TLS settings of one listener, for all its sites (which are `PullGuardSettings.sites`):
/// what to do with unknown SNI, and the handshake and session timing.
public struct TLSListenerSettings: Sendable {
    public enum UnknownSNI: String, Sendable {
        /// Serve the default site (nginx's `default_server`).
        case defaultSite = "default"
        /// Refuse the handshake with an `unrecognized_name` alert.
        case reject
    }

    /// A client must finish its handshake within this time (`timeouts.handshake`; nginx
    /// `ssl_handshake_timeout`, 60 s): every stalled handshake holds memory and a handshake slot.
    public static let defaultHandshakeTimeout: TimeAmount = .seconds(10)
    /// A session resumes for at most this long after the full handshake that verified it
    /// (`timeouts.session_lifetime`; nginx `ssl_session_timeout`, 5 min).
    public static let defaultSessionLifetime: TimeAmount = .minutes(5)

    public var unknownSNI: UnknownSNI
    public var handshakeTimeout: TimeAmount
    /// Counted from the full handshake, not renewed by resumptions (docs/verification.md).
    public var sessionLifetime: TimeAmount

    public init(unknownSNI: UnknownSNI = .defaultSite,
                handshakeTimeout: TimeAmount = defaultHandshakeTimeout, sessionLifetime: TimeAmount = defaultSessionLifetime) {
        self.unknownSNI = unknownSNI
        self.handshakeTimeout = handshakeTimeout
        self.sessionLifetime = sessionLifetime
    }
}
