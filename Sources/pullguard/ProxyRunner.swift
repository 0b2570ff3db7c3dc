import Foundation
import Logging
import PullGuard

/// Starts the proxy, announces each bound listener, and waits for SIGINT/SIGTERM
/// (or the server closing by itself) before the one orderly shutdown.
enum ProxyRunner {
    /// `started` runs after the listeners are bound, with the server (for its actual ports).
    static func run(settings: PullGuardSettings, logger: Logger,
                    started: (PullGuardServer) -> Void = { _ in }) async throws {
        let signals = ShutdownSignals()
        let server = try await PullGuardServer.start(settings: settings, logger: logger)
        // Tests and scripts parse this exact line to learn the port when 0 was asked for.
        for address in server.boundAddresses { Console.note("listening on \(address)") }
        started(server)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.waitUntilClosed() }
            group.addTask {
                guard let number = await signals.next() else { return }
                logger.notice("shutting down", metadata: ["signal": "\(ShutdownSignals.name(number))"])
                try await server.shutdown()
            }
            try await group.next()
            // When the server closed on its own, the signal wait is still pending; cancelling ends it.
            group.cancelAll()
            try await group.waitForAll()
        }
    }
}
