import PullGuardCore

/// What `pullguard verify` answers for one client chain and one site: would a client
/// presenting this chain be admitted, what would it see, and why. Plain values, built by
/// `ServerContextSet.checkClientChain` from the handshake's own verifier.
public struct ClientChainCheck: Sendable {
    public enum Verdict: String, Sendable, Codable {
        /// The chain verified and the site's policy admitted it: `X-Client-Verify: SUCCESS`.
        case admitted
        /// The handshake fails with `alert`.
        case refused
        /// `optional` mode: the handshake completes, but upstream gets `X-Client-Verify: FAILED:<reason>`.
        case forwardedUnverified = "forwarded_unverified"
    }

    /// Revocation as checked for this chain.
    public enum CRLStatus: Sendable, Hashable {
        /// The site has no `crl`: revocation is not checked.
        case notConfigured
        /// Every certificate of the chain was checked against the site's CRLs (files named).
        case passed([String])
        /// A CRL check failed (revoked, CRL missing or expired), with OpenSSL's reason.
        case failed(String)
        /// The chain failed before revocation could be decided.
        case notReached
    }

    public var verdict: Verdict
    /// The site whose policy decided; nil when the SNI chose none (`unknown_sni: reject`).
    public var siteName: String?
    public var mode: ClientAuthPolicy.Mode?
    /// The alert the client gets; nil when the handshake completes.
    public var alert: TLSAlert?
    /// The verifier's outcome, exactly as the handshake records it; nil when no site was chosen.
    public var outcome: VerificationOutcome?
    /// The reason in plain words.
    public var reason: String
    /// The certificates in the file, in order.
    public var presented: [CertificateFacts]
    /// The chain OpenSSL built, leaf first (anchor last when it verified; on a failure,
    /// as far as it got). Its depth is `count - 1`.
    public var builtChain: [CertificateFacts]
    /// The trust source whose anchor ended the chain (`cloudflare` or a bundle path), when it verified.
    public var trustSource: String?
    public var crl: CRLStatus
    /// The allow-list entry that admitted the leaf (`common_names: client`); nil when the
    /// site has no allow-list or nothing matched.
    public var allowListMatch: String?
    public var hasAllowList: Bool

    public init(verdict: Verdict, siteName: String?, mode: ClientAuthPolicy.Mode?, alert: TLSAlert?,
                outcome: VerificationOutcome?, reason: String, presented: [CertificateFacts],
                builtChain: [CertificateFacts], trustSource: String?, crl: CRLStatus,
                allowListMatch: String?, hasAllowList: Bool) {
        self.verdict = verdict
        self.siteName = siteName
        self.mode = mode
        self.alert = alert
        self.outcome = outcome
        self.reason = reason
        self.presented = presented
        self.builtChain = builtChain
        self.trustSource = trustSource
        self.crl = crl
        self.allowListMatch = allowListMatch
        self.hasAllowList = hasAllowList
    }
}
