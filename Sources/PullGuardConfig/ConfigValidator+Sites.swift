import PullGuardCore
/// `sites:`: names, server names, certificates and upstreams, each site mapped once
/// into one `Site` value holding its TLS and proxy halves.
extension ConfigValidator {
    mutating func sites(_ field: ConfigField<[SiteDocument]>) -> [Site] {
        guard let documents = required(field, "required: at least one site") else { return [] }
        if documents.isEmpty, !field.alreadyReported { report(field.keyPath, "at least one site is required") }
        var siteNames: [String: String] = [:]
        var serverNames: [String: String] = [:]
        return documents.compactMap { document in
            site(document, isOnlySite: documents.count == 1, siteNames: &siteNames, serverNames: &serverNames)
        }
    }

    private mutating func site(
        _ document: SiteDocument, isOnlySite: Bool,
        siteNames: inout [String: String], serverNames: inout [String: String]
    ) -> Site? {
        let name = siteName(document.name, seen: &siteNames)
        let names = self.serverNames(document.serverNames, isOnlySite: isOnlySite, seen: &serverNames)
        let identities = self.identities(document.certificates)
        let upstream = self.upstream(document.upstream)
        let clientAuth = required(document.clientAuth).map { clientAuthSettings($0) }
        guard let name, let upstream, let clientAuth else { return nil }
        return Site(
            name: name, serverNames: names,
            tls: TLSSiteSettings(
                identities: identities, trustSources: clientAuth.trust, crls: clientAuth.crls, clientAuth: clientAuth.policy,
                // HTTP/2 first: a client offering both gets it (nginx's `http2 on`).
                alpn: document.http2.value ?? true ? ["h2", "http/1.1"] : ["http/1.1"]),
            proxy: ProxySiteSettings(upstream: upstream)
        )
    }

    private mutating func siteName(_ field: ConfigField<String>, seen: inout [String: String]) -> String? {
        guard let name = required(field) else { return nil }
        guard ValueCheck.isSiteName(name) else {
            report(field.keyPath, "'\(name)' must be non-empty and use only a-z, 0-9, '.', '_' and '-'")
            return nil
        }
        if let first = seen[name] {
            report(field.keyPath, "duplicate site name '\(name)' (also \(first))")
        } else {
            seen[name] = field.keyPath
        }
        return name
    }

    /// Lower-cased, checked, and unique across all sites: SNI must pick exactly one site.
    private mutating func serverNames(
        _ field: ConfigField<[ConfigField<String>]>, isOnlySite: Bool, seen: inout [String: String]
    ) -> [String] {
        let entries = field.value ?? []
        if entries.isEmpty, !isOnlySite, !field.alreadyReported {
            report(field.keyPath, "required when there is more than one site")
        }
        return entries.compactMap { entry in
            guard var name = entry.value?.lowercased() else { return nil }
            if name.hasSuffix(".") { name.removeLast() }
            guard ValueCheck.isServerName(name) else {
                report(entry.keyPath, "'\(name)' is not a DNS name or a '*.' wildcard over at least two labels")
                return nil
            }
            if let first = seen[name] {
                report(entry.keyPath, "duplicate server name '\(name)' (also \(first))")
                return nil
            }
            seen[name] = entry.keyPath
            return name
        }
    }

    private mutating func identities(_ field: ConfigField<[CertificatePairDocument]>) -> [ServerIdentitySource] {
        guard let pairs = required(field) else { return [] }
        if pairs.isEmpty, !field.alreadyReported {
            report(field.keyPath, "at least one certificate and key is required")
        }
        return pairs.compactMap { pair in
            let chain = required(pair.cert).flatMap { _ in load(pair.cert, as: .certificate) }
            let key = required(pair.key).flatMap { _ in load(pair.key, as: .privateKey) }
            guard let chain, let key else { return nil }
            return ServerIdentitySource(certificateChain: chain, privateKey: key)
        }
    }

    private mutating func upstream(_ field: ConfigField<String>) -> UpstreamAddress? {
        guard let text = required(field) else { return nil }
        if text.hasPrefix("https://") {
            report(field.keyPath, "'\(text)': PullGuard forwards plain HTTP to a local upstream; use http://host:port")
            return nil
        }
        guard let address = UpstreamAddress(url: text) else {
            report(field.keyPath, "'\(text)' is not an upstream URL; use http://host:port with no path")
            return nil
        }
        return address
    }
}
