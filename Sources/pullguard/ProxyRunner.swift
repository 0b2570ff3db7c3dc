import Foundation
import Logging
import PullGuard
import PullGuardCore
import PullGuardObservability

/// Starts the proxy, announces each bound listener, and waits for SIGINT/SIGTERM
/// (or the server closing by itself) before the one orderly shutdown.
enum ProxyRunner {
    private enum Ending: Sendable {
        case serverClosed
        case shutDownBySignal
        case signalWaitCancelled
    }

    /// `started` runs after the listeners are bound, with the server (for its actual ports).
    static func run(settings: PullGuardSettings, logger: Logger,
                    started: (PullGuardServer) -> Void = { _ in }) async throws {
        let signals = ShutdownSignals()
        // The one metrics object of the process: one counter block per event loop.
        let metrics = PullGuardMetrics(eventLoops: settings.workers)
        let server = try await PullGuardServer.start(settings: settings, logger: logger, metrics: metrics)
        // Tests and scripts parse this exact line to learn the port when 0 was asked for.
        for address in server.boundAddresses { Console.note("listening on \(address)") }
        let admin = try await startAdmin(settings: settings, server: server)
        started(server)
        try await withThrowingTaskGroup(of: Ending.self) { group in
            group.addTask {
                try await server.waitUntilClosed()
                return .serverClosed
            }
            group.addTask {
                guard let number = await signals.next() else { return .signalWaitCancelled }
                logger.notice("shutting down", metadata: ["signal": "\(ShutdownSignals.name(number))"])
                await admin?.close()
                try await server.shutdown()
                return .shutDownBySignal
            }
            // After a signal, the server-closed task finishes by itself once shutdown
            // completes; only when the server closed on its own is there a wait to cancel.
            if try await group.next() == .serverClosed { group.cancelAll() }
            try await group.waitForAll()
        }
    }

    /// The admin listener, when `admin.listen` is set, announced like the proxy listeners
    /// (`admin listening on ADDR`: tests parse it to learn port 0's real port).
    /// Until reloads exist, the one generation is 1 and ready means started.
    private static func startAdmin(settings: PullGuardSettings, server: PullGuardServer) async throws -> AdminServer? {
        guard let listen = settings.admin.listen else { return nil }
        let generation = AdminGeneration(number: 1, loadedAt: Date(),
                                         sites: AdminSiteSummary.summaries(sites: settings.sites, inventory: server.inventory))
        let status = AdminStatus(isReady: { true }, generation: { generation })
        let metrics = server.metrics
        let router = AdminRouter(status: status, metrics: { metrics.exposition() })
        do {
            let admin = try await AdminServer.start(listen: listen, router: router, group: server.eventLoopGroup)
            Console.note("admin listening on \(admin.boundAddress)")
            return admin
        } catch {
            try? await server.shutdown()
            throw error
        }
    }
}
