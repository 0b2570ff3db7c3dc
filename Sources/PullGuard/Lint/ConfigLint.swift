import Foundation
import PullGuardCore
import PullGuardOpenSSL

/// `pullguard check`'s warnings: things a valid configuration allows that are probably
/// not what its author meant (docs/operations.md, "Checking a configuration").
///
/// One pass over the settings and each site's TLS material, read as values
/// (`SiteMaterialFacts`); each rule is a function on values in its own
/// `ConfigLint+Concern.swift`. Errors stay errors (the validator and `ServerPreflight`);
/// nothing here fails a configuration, and the server's start path never runs it.
public enum ConfigLint {
    /// Certificates, trust anchors and CRLs closer than this to their end are warned about.
    public static let expiryHorizon: TimeInterval = 30 * 86_400

    /// Every warning for `settings`; sites whose material cannot be read are skipped
    /// (`ServerPreflight` reports those as errors).
    /// - Parameters:
    ///   - keyPaths: the form the configuration was written in, for the key paths named.
    ///   - now: the moment expiry is measured from.
    public static func warnings(in settings: PullGuardSettings, keyPaths: LintKeyPaths, now: Date = Date()) -> [ConfigWarning] {
        let materials = settings.sites.map { try? SiteMaterialFacts.read($0.tls) }
        return warnings(listeners: settings.listeners, hasClientIPs: clientIPsConfigured(in: settings),
                        sites: Array(settings.sites), materials: materials, keyPaths: keyPaths, now: now)
    }

    /// The pass on values: `materials[i]` is site `i`'s material, nil when unreadable.
    public static func warnings(listeners: [ListenAddress], hasClientIPs: Bool, sites: [Site],
                                materials: [SiteMaterialFacts?], keyPaths: LintKeyPaths, now: Date) -> [ConfigWarning] {
        var warnings = publicListeners(listeners, hasClientIPs: hasClientIPs, keyPaths: keyPaths)
        for (index, site) in sites.enumerated() {
            warnings += cloudflareTrust(site, index: index, keyPaths: keyPaths)
            guard index < materials.count, let material = materials[index] else { continue }
            warnings += expiry(site, index: index, material: material, keyPaths: keyPaths, now: now)
            warnings += verifyDepth(site, index: index, material: material, keyPaths: keyPaths)
            warnings += serverNameCoverage(site, index: index, material: material, keyPaths: keyPaths)
        }
        return warnings
    }
}
