import Foundation

/// What one site of a configuration holds that an operator must watch expire: its server
/// certificates, its client trust anchors and its CRLs. Read from the parsed files by the
/// OpenSSL layer (`ServerContextSet.inventory`) and turned into metrics and the `/config`
/// summary; plain values, so neither needs OpenSSL.
public struct SiteInventory: Sendable, Hashable {
    public var name: String
    /// notAfter of each configured server certificate (leaf), in config order.
    public var serverCertificatesNotAfter: [Date]
    /// The site's distinct trust anchors in the order verification indexes them
    /// (`PeerIdentity.anchorIndex`): config order, a certificate listed twice counted once.
    public var anchors: [TrustAnchorInfo]
    public var crls: [CRLInfo]

    public init(name: String, serverCertificatesNotAfter: [Date], anchors: [TrustAnchorInfo], crls: [CRLInfo]) {
        self.name = name
        self.serverCertificatesNotAfter = serverCertificatesNotAfter
        self.anchors = anchors
        self.crls = crls
    }
}

/// One client trust anchor: the trust source that brought it (`cloudflare` or the bundle's
/// path, as in config) and its identity.
public struct TrustAnchorInfo: Sendable, Hashable {
    /// The trust source's name in config: `cloudflare` or the bundle path.
    public var name: String
    /// SHA-256 over the DER certificate, lower-case hex.
    public var sha256: String
    public var subject: String
    public var notAfter: Date

    public init(name: String, sha256: String, subject: String, notAfter: Date) {
        self.name = name
        self.sha256 = sha256
        self.subject = subject
        self.notAfter = notAfter
    }
}

/// One CRL file: its path and the earliest nextUpdate of the CRLs in it (nil when none has one).
public struct CRLInfo: Sendable, Hashable {
    public var origin: String
    public var nextUpdate: Date?

    public init(origin: String, nextUpdate: Date?) {
        self.origin = origin
        self.nextUpdate = nextUpdate
    }
}
