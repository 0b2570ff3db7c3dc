import Foundation
import Logging
import NIOCore
import NIOPosix
import PullGuardCore
import PullGuardOpenSSL
import PullGuardProxy

/// What a successful reload did.
public struct ReloadReport: Sendable, Equatable {
    /// The generation now serving new connections.
    public var generation: Int
    /// Settings that changed but only take effect after a restart (they were left as they
    /// were; everything else was applied), each as `key: running value`.
    public var needsRestart: [String]
}

extension PullGuardServer {
    /// Builds a complete new generation from `settings`, off the event loops, and swaps it
    /// in: new handshakes use it at once. The replaced generation drains: each of its
    /// connections finishes the request in flight with `Connection: close` (an idle one
    /// closes at once), and what is still open after `drain_timeout` is closed.
    ///
    /// Sessions carry over: the new TLS contexts share the session store, and each session's
    /// binding admits it only on a site whose client-auth settings are unchanged
    /// (`SessionBinding`), so a reload that leaves a site's trust alone costs it no full
    /// handshakes, and one that changes it sends every client of the site through a full one.
    ///
    /// Calls must not overlap (the runner handles one trigger at a time).
    /// - Throws: the first certificate, key or trust problem; the running generation is
    ///   then left as it was.
    public func reload(settings requested: PullGuardSettings) async throws -> ReloadReport {
        let old = current.withLockedValue { $0 }
        var settings = requested
        var needsRestart: [String] = []
        if settings.listeners != old.settings.listeners {
            needsRestart.append("listen: \(old.settings.listeners.map(\.description).joined(separator: ", "))")
            settings.listeners = old.settings.listeners
        }
        if settings.workers != old.settings.workers {
            needsRestart.append("workers: \(old.settings.workers)")
            settings.workers = old.settings.workers
        }
        if settings.admin != old.settings.admin {
            needsRestart.append("admin.listen: \(old.settings.admin.listen.map(\.description) ?? "off")")
            settings.admin = old.settings.admin
        }
        if settings.reload.pidFile != old.settings.reload.pidFile {
            needsRestart.append("pid_file: \(old.settings.reload.pidFile ?? "none")")
            settings.reload.pidFile = old.settings.reload.pidFile
        }
        if settings.logLevel != old.settings.logLevel {
            needsRestart.append("log_level: \(old.settings.logLevel.rawValue)")
            settings.logLevel = old.settings.logLevel
        }
        let sessions = old.contexts.sessions
        let contexts = try await NIOThreadPool.singleton.runIfActive { [settings] in
            try ServerContextSet(sites: settings.sites, settings: settings.tls, sessions: sessions)
        }
        let inventory = contexts.inventory
        let siteMetrics = metrics.siteMetrics(for: inventory)
        // Opened before anything changes: a path that cannot be written fails the reload.
        // Lines of the replaced generation's connections then go to the new place too.
        try accessLogSink.retarget(settings.accessLog.destination)
        let accessLog = makeAccessLog(settings, sink: accessLogSink)
        let proxy = HTTPProxy(settings: settings.proxy, sites: settings.sites, logger: logger, metrics: metrics,
                              previous: old.proxy, siteMetrics: siteMetrics, accessLog: accessLog)
        let next = ServerGeneration(number: old.number + 1, loadedAt: Date(), settings: settings,
                                    contexts: contexts, proxy: proxy, inventory: inventory, siteMetrics: siteMetrics,
                                    accessLog: accessLog)
        gate.update(limits: settings.limits)
        current.withLockedValue { $0 = next }
        metrics.recordGeneration(number: next.number, loadedAt: next.loadedAt)
        retire(old, drainTimeout: settings.drainTimeout, successor: next)
        return ReloadReport(generation: next.number, needsRestart: needsRestart)
    }

    /// Drains `old` and forgets it once its connections are gone; its upstream pools are
    /// closed then, unless `successor` took them over.
    private func retire(_ old: ServerGeneration, drainTimeout: TimeAmount, successor: ServerGeneration) {
        retired.withLockedValue { $0.append(old) }
        old.connections.drain(ConnectionDrain(reason: .reload))
        let deadline = NIODeadline.now() + drainTimeout
        Task { [self] in
            if await !old.connections.waitUntilEmpty(deadline: deadline) {
                logger.notice("closing connections of a replaced configuration still open after drain_timeout", metadata: [
                    "generation": "\(old.number)", "connections": "\(old.connections.count)",
                ])
                old.connections.closeAll()
                _ = await old.connections.waitUntilEmpty(deadline: .now() + .seconds(5))
            }
            if !successor.proxy.sharesPools(with: old.proxy) { old.proxy.closePools() }
            retired.withLockedValue { $0.removeAll { $0 === old } }
        }
    }
}
