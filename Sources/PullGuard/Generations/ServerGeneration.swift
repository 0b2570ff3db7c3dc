import Foundation
import PullGuardCore
import PullGuardObservability
import PullGuardOpenSSL
import PullGuardProxy

/// Everything one validated configuration makes: its sites' TLS contexts and the proxy
/// built from the same site table, numbered from 1 in the order they were loaded.
///
/// New connections take the current generation once, at accept, and keep it for their
/// whole life: a request in flight finishes with the trust it was admitted under. A
/// reload builds a complete new generation off the event loops and swaps it in whole;
/// the old one drains (`ConnectionRegistry`).
final class ServerGeneration: Sendable {
    let number: Int
    let loadedAt: Date
    /// What this generation applies; listeners and workers are the running process's,
    /// which a reload cannot change.
    let settings: PullGuardSettings
    let contexts: ServerContextSet
    let proxy: HTTPProxy
    /// Each site's certificates, anchors and CRLs as `contexts` loaded them (for `/config`).
    let inventory: [SiteInventory]
    /// Per-site metric handles for this generation's `SiteTable` (`PullGuardMetrics.siteMetrics(for: inventory)`).
    let siteMetrics: SiteMetricsTable
    /// This generation's access log (the process's sink, this configuration's rules); nil when off.
    let accessLog: AccessLog?
    let connections = ConnectionRegistry()

    init(number: Int, loadedAt: Date, settings: PullGuardSettings, contexts: ServerContextSet, proxy: HTTPProxy,
         inventory: [SiteInventory], siteMetrics: SiteMetricsTable, accessLog: AccessLog? = nil) {
        self.accessLog = accessLog
        self.inventory = inventory
        self.siteMetrics = siteMetrics
        self.number = number
        self.loadedAt = loadedAt
        self.settings = settings
        self.contexts = contexts
        self.proxy = proxy
    }
}
