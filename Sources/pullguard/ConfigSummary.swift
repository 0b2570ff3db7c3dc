import PullGuard
import PullGuardCore

/// The short, human summary `pullguard check` prints for a valid configuration.
enum ConfigSummary {
    static func lines(for settings: PullGuardSettings) -> [String] {
        var lines = [
            "configuration OK",
            "listen: \(settings.listeners.map(\.description).joined(separator: ", "))",
            "workers: \(settings.workers), log level: \(settings.logLevel.rawValue), "
                + "unknown SNI: \(settings.tls.unknownSNI.rawValue) (default site \(settings.sites[settings.sites.defaultSite].name))",
        ]
        let reload = settings.reload
        let debounce = reload.watchDebounce.nanoseconds
        let debounceText = debounce % 1_000_000_000 == 0 ? "\(debounce / 1_000_000_000)s" : "\(debounce / 1_000_000)ms"
        lines.append("reload: pid file \(reload.pidFile ?? "none"), watch "
            + (reload.watch ? "on (\(settings.referencedFiles.count) files, debounce \(debounceText))" : "off"))
        let requestID = settings.proxy.requestID
        lines.append("access log: \(settings.accessLog.destination), request id: "
            + (requestID.header.map { "\($0)" + (requestID.trustClient ? " (kept from verified clients)" : "") } ?? "off"))
        for whole in settings.sites {
            let names = whole.serverNames.isEmpty ? "any name" : whole.serverNames.joined(separator: ", ")
            let site = whole.tls
            let policy = site.clientAuth
            lines.append("site \(whole.name): \(names) -> \(whole.proxy.upstream)")
            lines.append("  certificates: \(site.identities.map(\.certificateChain.origin).joined(separator: ", "))")
            lines.append("  client certificates: \(policy.mode.rawValue), verify depth \(policy.verifyDepth)"
                + (policy.partialChain ? ", partial chain" : ""))
            let trust = site.trustSources.map { $0.pinnedSHA256 == nil ? $0.name : "\($0.name) (pinned)" }
            lines.append("  trust: \(trust.joined(separator: ", "))")
            if !site.crls.isEmpty { lines.append("  crl: \(site.crls.map(\.origin).joined(separator: ", "))") }
            if !policy.allowList.isEmpty { lines.append("  allow-list: \(allowCount(policy.allowList)) entries") }
        }
        return lines
    }

    private static func allowCount(_ list: AllowList) -> Int {
        list.subjects.count + list.commonNames.count + list.dnsNames.count + list.uris.count
            + list.fingerprints.count + list.spkiSHA256.count
    }
}
