import PullGuardCore

/// The Cloudflare Authenticated Origin Pulls pitfalls (README, "Cloudflare Authenticated
/// Origin Pulls"): the global certificate is the same for every Cloudflare customer.
extension ConfigLint {
    static func cloudflareTrust(_ site: Site, index: Int, keyPaths: LintKeyPaths) -> [ConfigWarning] {
        let sources = site.tls.trustSources
        guard sources.contains(where: { $0.name == TrustSourceName.cloudflare }) else { return [] }
        var warnings: [ConfigWarning] = []
        if sources.allSatisfy({ $0.name == TrustSourceName.cloudflare }) {
            warnings.append(ConfigWarning(
                keyPath: keyPaths.trust(site: index),
                message: "site \(site.name) trusts only `cloudflare`: the global AOP certificate is shared by all "
                    + "Cloudflare customers, so any Cloudflare zone pointed at this origin passes",
                fix: "use zone-level or per-hostname AOP with a client certificate from your own CA "
                    + "(pullguard pki init; pullguard pki issue-client) and trust that CA"))
        }
        if site.tls.clientAuth.mode == .optional {
            warnings.append(ConfigWarning(
                keyPath: keyPaths.mode(site: index),
                message: "site \(site.name) trusts `cloudflare` in optional mode: requests without a valid "
                    + "certificate, not only Cloudflare's, reach the upstream",
                fix: "set mode: require once the upstream's X-Client-Verify shows SUCCESS for the traffic you expect"))
        }
        return warnings
    }
}
