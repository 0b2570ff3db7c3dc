import Foundation

/// What a TLS session was verified for, and until when it may stand in for a full
/// verification. Every session PullGuard issues carries one; a resumption is admitted
/// only when `refusal(...)` finds nothing wrong (docs/verification.md, "Sessions").
///
/// Why each field:
/// - `siteName` and `clientAuthDigest`: a session admits a client only on the site whose
///   policy verified it, and only while that site's client-auth settings (trust, CRLs,
///   depth, allow-list, mode) are the ones it was verified under. A configuration change
///   that alters them changes the digest, so older sessions fall back to a full handshake;
///   one that leaves them alone keeps every session.
/// - `validFrom`/`validUntil`: the verified chain's validity and the CRLs' nextUpdate.
///   A resumption skips verification, so it must not outlive what verification checked.
/// - `verifiedAt` + `lifetime`: a bound on the whole chain of resumptions, counted from the
///   full handshake. TLS 1.3 issues a fresh ticket on each resumption; without this bound a
///   client resuming every few minutes would never be verified again.
public struct SessionBinding: Sendable {
    public var siteName: String
    public var clientAuthDigest: [UInt8]
    /// The verdict of the full handshake, reported again on every resumption.
    public var outcome: VerificationOutcome
    public var verifiedAt: Date
    public var validFrom: Date
    public var validUntil: Date
    /// `verifiedAt + lifetime`, kept apart from `validUntil` to name the reason.
    public var lifetimeEnd: Date

    public enum Refusal: String, Sendable, Hashable {
        /// Made on another site: its trust was never checked here.
        case otherSite = "other_site"
        /// The site's client-auth settings changed since the session was made.
        case clientAuthChanged = "client_auth_changed"
        /// A certificate of the verified chain is not (or no longer) valid, or a CRL used
        /// for it has passed its nextUpdate.
        case verificationExpired = "verification_expired"
        /// `session_lifetime` has passed since the full handshake.
        case lifetimeExceeded = "lifetime_exceeded"
    }

    /// A binding for a session made by a full handshake at `verifiedAt`.
    /// - Parameters:
    ///   - crlNextUpdate: the earliest nextUpdate of the CRLs the site checked, if any.
    ///   - lifetime: `session_lifetime`.
    public init(siteName: String, clientAuthDigest: [UInt8], outcome: VerificationOutcome, verifiedAt: Date,
                crlNextUpdate: Date?, lifetime: TimeInterval) {
        self.siteName = siteName
        self.clientAuthDigest = clientAuthDigest
        self.outcome = outcome
        self.verifiedAt = verifiedAt
        var from = Date.distantPast
        var until = Date.distantFuture
        if case .success(let identity) = outcome {
            for certificate in identity.chain {
                from = max(from, certificate.notBefore)
                until = min(until, certificate.notAfter)
            }
            if let crlNextUpdate { until = min(until, crlNextUpdate) }
        }
        validFrom = from
        validUntil = until
        lifetimeEnd = verifiedAt.addingTimeInterval(lifetime)
    }

    /// Why this session must not resume on `siteName` (whose client-auth settings hash to
    /// `clientAuthDigest`) at `now`; nil when it may.
    public func refusal(siteName: String, clientAuthDigest: [UInt8], now: Date) -> Refusal? {
        if siteName != self.siteName { return .otherSite }
        if clientAuthDigest != self.clientAuthDigest { return .clientAuthChanged }
        if now >= lifetimeEnd { return .lifetimeExceeded }
        if now < validFrom || now >= validUntil { return .verificationExpired }
        return nil
    }

    /// True once no site could admit this session any more, whatever it is asked for.
    public func isExpired(now: Date) -> Bool {
        now >= validUntil || now >= lifetimeEnd
    }
}
