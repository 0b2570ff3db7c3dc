import PullGuardCore
import PullGuardOpenSSL

/// A `verify_depth` larger than any chain the site's trust can produce: it admits longer
/// chains than the CA hierarchy has, so a compromised or mis-issued sub-CA nobody
/// expected would still be accepted.
///
/// The rule (docs/operations.md): a chain may end at each anchor, that is each
/// self-issued certificate of the trust bundles, or with `partial_chain` any of their
/// certificates. The most intermediates below an anchor is its basicConstraints
/// pathLenConstraint (RFC 5280 4.2.1.9), which OpenSSL enforces; for the pinned
/// `cloudflare` anchor it is 0, because Cloudflare signs its AOP certificate with that
/// CA directly. An anchor without a pathLenConstraint can produce any depth, and then
/// nothing is warned. Otherwise the deepest chain is the largest bound over the anchors.
extension ConfigLint {
    static func verifyDepth(_ site: Site, index: Int, material: SiteMaterialFacts, keyPaths: LintKeyPaths) -> [ConfigWarning] {
        guard let deepest = deepestChain(site.tls, material: material) else { return [] }
        let depth = site.tls.clientAuth.verifyDepth
        guard depth > deepest else { return [] }
        return [ConfigWarning(
            keyPath: keyPaths.verifyDepth(site: index),
            message: "verify_depth \(depth) allows \(depth) intermediate\(depth == 1 ? "" : "s"), but the trusted CAs "
                + "allow at most \(deepest) below them",
            fix: "set verify_depth: \(deepest)")]
    }

    /// The most intermediates any chain to the site's anchors can have; nil when unbounded.
    static func deepestChain(_ tls: TLSSiteSettings, material: SiteMaterialFacts) -> Int? {
        var deepest = 0
        var anchorsSeen = 0
        for (source, certificates) in zip(tls.trustSources, material.trustSources) {
            for certificate in certificates where certificate.facts.isSelfIssued || tls.clientAuth.partialChain {
                anchorsSeen += 1
                if source.name == TrustSourceName.cloudflare, source.pinnedSHA256 != nil { continue }
                guard let bound = certificate.pathLength else { return nil }
                deepest = max(deepest, bound)
            }
        }
        // No anchor at all (a bundle of intermediates without partial_chain) verifies nothing;
        // that is not a depth question.
        return anchorsSeen == 0 ? nil : deepest
    }
}
