import NIOHTTP1

extension HeaderPolicy {
    /// Headers only an edge we trust may set; the client's copies are dropped unless the
    /// connection verified against the Cloudflare origin-pull CA.
    static let edgeClientIPNames: Set<String> = ["cf-connecting-ip", "true-client-ip"]

    /// Normalized names of every identity header PullGuard writes: the configured
    /// ones plus the RFC 9440 pair, which are reserved whether or not `rfc9440` is on
    /// so that a client can never present a certificate of its own choosing.
    static func reservedIdentityNames(_ names: IdentityHeaderNames) -> Set<String> {
        Set([names.verify, names.subject, names.issuer, names.serial, names.fingerprint, names.notAfter,
             "Client-Cert", "Client-Cert-Chain"].map(normalizedName))
    }

    /// Removes incoming headers that would impersonate PullGuard's verdict or the edge.
    ///
    /// Names are compared after ``normalizedName(_:)``, so `x_client_VERIFY` is caught.
    /// `CF-Connecting-IP` and `True-Client-IP` stay only when the client is Cloudflare
    /// itself (a verified chain ending at the pinned AOP CA): only then does someone we
    /// trust vouch for them.
    public static func removeSpoofable(from headers: inout HTTPHeaders, names: IdentityHeaderNames,
                                       verification: VerificationOutcome) {
        removeNames(matching: SpoofableNames(names: names).matcher(for: verification), from: &headers)
    }

    /// The anti-spoofing name sets of one configuration, for the two kinds of verdict
    /// that differ (a Cloudflare-anchored client may send `CF-Connecting-IP`), built
    /// once rather than on every connection.
    public struct SpoofableNames: Sendable {
        let cloudflare: HeaderNameMatcher
        let others: HeaderNameMatcher

        public init(names: IdentityHeaderNames) {
            let reserved = HeaderPolicy.reservedIdentityNames(names)
            cloudflare = HeaderNameMatcher(reserved, underscoreIsDash: true)
            others = HeaderNameMatcher(reserved.union(HeaderPolicy.edgeClientIPNames), underscoreIsDash: true)
        }

        func matcher(for verification: VerificationOutcome) -> HeaderNameMatcher {
            if case .success(let identity) = verification, identity.isCloudflare { return cloudflare }
            return others
        }
    }
}
