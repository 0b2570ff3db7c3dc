import NIOHTTP1
import PullGuardCore

extension HeaderPolicy {
    /// Headers only an edge we trust may set; the client's copies are dropped unless the
    /// connection verified against the Cloudflare origin-pull CA.
    static let edgeClientIPNames: Set<String> = ["cf-connecting-ip", "true-client-ip"]

    /// Normalized names of every identity header PullGuard writes: the configured
    /// ones plus the RFC 9440 pair, which are reserved whether or not `rfc9440` is on
    /// so that a client can never present a certificate of its own choosing.
    static func reservedIdentityNames(_ names: IdentityHeaderNames) -> Set<String> {
        Set([names.verify, names.subject, names.issuer, names.serial, names.fingerprint, names.notAfter,
             "Client-Cert", "Client-Cert-Chain"].map(HeaderNameForm.of))
    }

    /// Headers PullGuard writes or vouches for on every request (`+Forwarding`), by
    /// normalized name: their `_` spellings are never forwarded.
    static let forwardingNames: Set<String> = ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"]

    /// The anti-spoofing name sets of one configuration, for the two kinds of verdict
    /// that differ (a Cloudflare-anchored client may send `CF-Connecting-IP`), built
    /// once rather than on every connection.
    public struct SpoofableNames: Sendable {
        let cloudflare: HeaderNameMatcher
        let others: HeaderNameMatcher
        /// Every name PullGuard sets (identity, forwarding, edge client IP), normalized:
        /// a name with `_` that matches is a look-alike and always dropped, because
        /// CGI, WSGI, PHP and many frameworks fold `_` and `-` into one variable, where
        /// the look-alike would overwrite or shadow PullGuard's value.
        let lookalikes: HeaderNameMatcher
        /// `headers.allow_underscores`: keep other names with `_` (nginx's
        /// `underscores_in_headers on`); off by default, as in nginx.
        let allowUnderscores: Bool

        public init(names: IdentityHeaderNames, allowUnderscores: Bool = false) {
            let reserved = HeaderPolicy.reservedIdentityNames(names)
            cloudflare = HeaderNameMatcher(reserved, underscoreIsDash: true)
            others = HeaderNameMatcher(reserved.union(HeaderPolicy.edgeClientIPNames), underscoreIsDash: true)
            lookalikes = HeaderNameMatcher(
                reserved.union(HeaderPolicy.edgeClientIPNames).union(HeaderPolicy.forwardingNames),
                underscoreIsDash: true)
            self.allowUnderscores = allowUnderscores
        }

        func rule(for verification: VerificationOutcome) -> RemovalRule {
            if case .success(let identity) = verification, identity.isCloudflare {
                return RemovalRule(spoofable: cloudflare, lookalikes: lookalikes, allowUnderscores: allowUnderscores)
            }
            return RemovalRule(spoofable: others, lookalikes: lookalikes, allowUnderscores: allowUnderscores)
        }
    }

    /// Which incoming request header names are dropped on one connection.
    struct RemovalRule: Sendable {
        let spoofable: HeaderNameMatcher
        let lookalikes: HeaderNameMatcher
        let allowUnderscores: Bool

        func removes(_ name: String) -> Bool {
            if spoofable.matches(name) { return true }
            // Names without `_` (nearly all) cost one byte scan here, on the string's own
            // buffer when it has one (stepping through `String.UTF8View` cost ~5x more).
            let underscore = UInt8(ascii: "_")
            guard name.utf8.withContiguousStorageIfAvailable({ $0.contains(underscore) }) ?? name.utf8.contains(underscore)
            else { return false }
            return !allowUnderscores || lookalikes.matches(name)
        }
    }
}
