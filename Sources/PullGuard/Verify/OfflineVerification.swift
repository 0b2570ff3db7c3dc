import Foundation
import PullGuardCore
import PullGuardOpenSSL

/// `pullguard verify`: would a client presenting this chain be admitted, and why.
///
/// Builds the TLS contexts exactly as the server does at start (`ServerContextSet`, the
/// same trust stores and verifiers) and asks the chosen site's verifier, the function the
/// handshake calls (`ServerContextSet.checkClientChain`).
public enum OfflineVerification {
    /// How the site is named on the command line.
    public enum SiteChoice: Sendable, Hashable {
        /// As a handshake with this SNI would choose it; nil: no SNI (the default site).
        case serverName(String?)
        case named(String)
    }

    /// - Throws: a context build error (bad certificate, key or trust file), an unknown site,
    ///   or a chain file that holds no PEM certificate.
    public static func check(settings: PullGuardSettings, chainPEM: [UInt8], origin: String, site: SiteChoice,
                             now: Date = Date()) throws -> ClientChainReport {
        let contexts = try ServerContextSet(sites: settings.sites, settings: settings.tls)
        let choice: ServerContextSet.ClientChainSite
        switch site {
        case .serverName(let name): choice = .serverName(name)
        case .named(let name): choice = .named(name)
        }
        let check = try contexts.checkClientChain(pem: chainPEM, origin: origin, site: choice)
        return ClientChainReport(check, now: now)
    }
}
