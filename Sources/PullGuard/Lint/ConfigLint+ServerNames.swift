import PullGuardCore
import PullGuardOpenSSL

/// A server name the site answers to that its certificate does not cover: clients
/// (Cloudflare with Full (strict) SSL, browsers) refuse the connection.
extension ConfigLint {
    static func serverNameCoverage(_ site: Site, index: Int, material: SiteMaterialFacts,
                                   keyPaths: LintKeyPaths) -> [ConfigWarning] {
        var warnings: [ConfigWarning] = []
        for (position, chain) in material.serverChains.enumerated() {
            guard let leaf = chain.first else { continue }
            for (nameIndex, name) in site.serverNames.enumerated()
            where !leaf.dnsNames.contains(where: { covers($0, name) }) {
                let sans = leaf.dnsNames.isEmpty ? "no DNS names" : "DNS names \(leaf.dnsNames.joined(separator: ", "))"
                warnings.append(ConfigWarning(
                    keyPath: keyPaths.serverName(site: index, nameIndex),
                    message: "'\(name)' is not covered by certificate \(keyPaths.certificate(site: index, position)) "
                        + "(\(sans)); clients that check the name refuse it",
                    fix: "add \(name) to the certificate's subjectAltName, or serve that name from another site"))
            }
        }
        return warnings
    }

    /// Whether the certificate name `pattern` (a SAN DNS name) covers the server name `name`,
    /// per RFC 6125 6.4.3 as browsers apply it: case-insensitive; a wildcard only as the whole
    /// left-most label, matching exactly one non-empty label (`*.example.com` covers
    /// `a.example.com`, not `example.com` or `a.b.example.com`); a configured wildcard server
    /// name is covered only by the same wildcard. The subject CN is not used (RFC 6125 6.4.4:
    /// not when DNS SANs exist, and current clients ignore it).
    static func covers(_ pattern: String, _ name: String) -> Bool {
        var pattern = pattern.lowercased()
        var name = name.lowercased()
        if pattern.hasSuffix(".") { pattern.removeLast() }
        if name.hasSuffix(".") { name.removeLast() }
        if pattern == name { return true }
        guard pattern.hasPrefix("*."), !name.hasPrefix("*.") else { return false }
        let suffix = pattern.dropFirst(1)  // ".example.com"
        guard suffix.split(separator: ".").count >= 2, name.hasSuffix(suffix) else { return false }
        let label = name.dropLast(suffix.count)
        return !label.isEmpty && !label.contains(".")
    }
}
