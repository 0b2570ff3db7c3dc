import Foundation
import Logging
import NIOCore
import NIOPosix
import PullGuard
import PullGuardConfig
import PullGuardCore
import PullGuardObservability

/// Starts the proxy, announces each bound listener, then handles the runner's events
/// until a signal drains it (or the server closes by itself): SIGHUP reloads, SIGINT and
/// SIGTERM drain (docs/operations.md). Under systemd (`Type=notify`, `$NOTIFY_SOCKET`) each
/// of those steps is also told to the service manager (`ServiceNotifier`).
enum ProxyRunner {
    private enum Ending: Sendable {
        case serverClosed
        case drained
        case eventsEnded
    }

    /// - Parameters:
    ///   - load: reads and validates the configuration again, exactly as at start, for a
    ///     reload (the same files, or the same flags).
    ///   - started: runs after the listeners are bound, with the server (for its actual ports).
    static func run(settings: PullGuardSettings, logger: Logger,
                    load: @escaping @Sendable () throws -> PullGuardSettings,
                    started: (PullGuardServer) -> Void = { _ in }) async throws {
        let events = RunnerEvents()
        let notifier = ServiceNotifier(environment: ProcessInfo.processInfo.environment)
        // The one metrics object of the process: one counter block per event loop.
        let metrics = PullGuardMetrics(eventLoops: settings.workers)
        let server = try await PullGuardServer.start(settings: settings, logger: logger, metrics: metrics)
        // Tests and scripts parse this exact line to learn the port when 0 was asked for.
        for address in server.boundAddresses { Console.note("listening on \(address)") }
        // Lives as long as the event loops it runs on; a drain keeps it answering (`/readyz`: 503).
        _ = try await startAdmin(settings: settings, server: server)
        let pidFile: PIDFile?
        do {
            pidFile = try settings.reload.pidFile.map { try PIDFile.write(path: $0) }
        } catch {
            try? await server.shutdown()
            throw error
        }
        let watch = FileWatch(events: events.continuation)
        watch.follow(settings)
        defer {
            watch.stop()
            pidFile?.remove()
        }
        logWarnings(settings, logger: logger)
        started(server)
        // Listeners bound, admin answering, pid file written: `systemctl start` may return.
        notifier?.send(.ready)
        try await withThrowingTaskGroup(of: Ending.self) { group in
            group.addTask {
                try await server.waitUntilClosed()
                return .serverClosed
            }
            group.addTask {
                while let event = await events.next() {
                    switch event {
                    case .signal(SIGHUP):
                        await reload(server, load: load, logger: logger, trigger: "SIGHUP", notifier: notifier)
                        watch.follow(server.settings)
                    case .signal(SIGUSR1):
                        // logrotate's convention (nginx does the same): the file was moved away.
                        logger.info("SIGUSR1: reopening the access log")
                        server.reopenAccessLog()
                    case .filesChanged:
                        await reload(server, load: load, logger: logger, trigger: "file change", notifier: notifier)
                        watch.follow(server.settings)
                    case .signal(let number):
                        notifier?.send(.stopping)
                        try await drain(server, events: events, logger: logger, signal: number)
                        return .drained
                    }
                }
                return .eventsEnded
            }
            // A drain closes the listeners first: the server-closed task then ends while the
            // drain goes on. Only a server that closed by itself ends the event loop here.
            if try await group.next() == .serverClosed, server.isReady { group.cancelAll() }
            try await group.waitForAll()
        }
    }

    /// The admin listener, when `admin.listen` is set, announced like the proxy listeners
    /// (`admin listening on ADDR`: tests parse it to learn port 0's real port). Its status
    /// is read from the server per request: the generation serving, and not draining.
    private static func startAdmin(settings: PullGuardSettings, server: PullGuardServer) async throws -> AdminServer? {
        guard let listen = settings.admin.listen else { return nil }
        let metrics = server.metrics
        let router = AdminRouter(status: server.adminStatus, metrics: { metrics.exposition() })
        do {
            let admin = try await AdminServer.start(listen: listen, router: router, group: server.eventLoopGroup)
            Console.note("admin listening on \(admin.boundAddress)")
            return admin
        } catch {
            try? await server.shutdown()
            throw error
        }
    }

    /// One reload: read and validate as `pullguard check` does, then swap. A failure
    /// changes nothing; each problem is logged with its key path.
    /// systemd hears RELOADING=1 before and READY=1 after, whether the reload succeeded or
    /// not: a failed reload leaves the old generation serving, which is ready.
    private static func reload(_ server: PullGuardServer, load: @escaping @Sendable () throws -> PullGuardSettings,
                               logger: Logger, trigger: String, notifier: ServiceNotifier?) async {
        notifier?.send(.reloadingNow())
        defer { notifier?.send(.ready) }
        let running = server.generation.number
        do {
            let settings = try await NIOThreadPool.singleton.runIfActive { try load() }
            let report = try await server.reload(settings: settings)
            server.metrics.recordReload(success: true)
            logger.notice("configuration reloaded", metadata: [
                "generation": "\(report.generation)", "trigger": "\(trigger)",
            ])
            for setting in report.needsRestart {
                logger.warning("changed setting needs a restart; still running with \(setting)")
            }
            logWarnings(settings, logger: logger)
        } catch let error as ConfigError {
            server.metrics.recordReload(success: false)
            logger.error("reload failed; still serving generation \(running)", metadata: ["trigger": "\(trigger)"])
            for problem in error.problems { logger.error("reload: \(problem)") }
        } catch {
            server.metrics.recordReload(success: false)
            logger.error("reload failed; still serving generation \(running)", metadata: ["trigger": "\(trigger)"])
            logger.error("reload: \(error)")
            for problem in ServerPreflight.problems(in: (try? load()) ?? server.settings) {
                logger.error("reload: \(problem)")
            }
        }
    }

    /// `pullguard check`'s warnings, logged at `warning` for each configuration that starts
    /// serving (nginx warns at start too). Computed on the thread pool once the listeners
    /// are up, so they never delay serving; nothing depends on them.
    private static func logWarnings(_ settings: PullGuardSettings, logger: Logger) {
        let keyPaths: LintKeyPaths = settings.configFile == nil ? .flags : .file
        Task {
            guard let warnings = try? await NIOThreadPool.singleton.runIfActive({
                ConfigLint.warnings(in: settings, keyPaths: keyPaths)
            }) else { return }
            for warning in warnings {
                logger.warning("configuration warning: \(warning.keyPath): \(warning.message)",
                               metadata: ["fix": "\(warning.fix)"])
            }
        }
    }

    /// The graceful stop; a second SIGINT or SIGTERM closes every connection at once.
    private static func drain(_ server: PullGuardServer, events: RunnerEvents, logger: Logger, signal: Int32) async throws {
        let timeout = server.settings.drainTimeout
        logger.notice("draining", metadata: [
            "signal": "\(RunnerEvents.name(signal))", "drain_timeout": "\(Double(timeout.nanoseconds) / 1e9)s",
            "connections": "\(server.openConnections)",
        ])
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await server.drain(timeout: timeout)
                return true
            }
            group.addTask {
                while let event = await events.next() {
                    guard case .signal(let number) = event, number != SIGHUP else { continue }
                    if number == SIGUSR1 {
                        server.reopenAccessLog()
                        continue
                    }
                    logger.warning("second \(RunnerEvents.name(number)): closing every connection now")
                    server.closeAllConnections()
                    break
                }
                return false
            }
            // The drain ends the wait; a second signal only shortens it.
            while let drained = try await group.next() {
                if drained { group.cancelAll() }
            }
        }
        logger.notice("stopped")
    }
}
