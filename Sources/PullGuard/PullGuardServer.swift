import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PullGuardOpenSSL
import PullGuardObservability
import PullGuardCore
import PullGuardProxy
import PullGuardTLS

/// A running PullGuard: event loops, one listening socket per configured address,
/// and for each accepted connection the pipeline `TLSServerHandler` → HTTP/1.1 codec → proxy.
///
/// What a configuration makes (TLS contexts, proxy) is one `ServerGeneration`, built off
/// the event loops before it is used. A reload (`PullGuardServer+Reload.swift`) builds
/// the next one and swaps it in; a connection keeps the generation it was accepted under.
/// A shutdown drains (`PullGuardServer+Drain.swift`).
public final class PullGuardServer: Sendable {
    let group: MultiThreadedEventLoopGroup
    let serverChannels: [Channel]
    /// The generation new connections get. Read once per accept.
    let current: NIOLockedValueBox<ServerGeneration>
    /// Replaced generations whose connections have not all closed yet.
    let retired = NIOLockedValueBox<[ServerGeneration]>([])
    let gate: ConnectionGate
    let logger: Logger
    /// Set when a shutdown starts: the listeners close and `/readyz` says no.
    let draining = NIOLockedValueBox(false)
    public let metrics: PullGuardMetrics
    /// Where access-log lines go, for the whole process: reloads point it elsewhere
    /// (`access_log.path`), SIGUSR1 reopens it.
    let accessLogSink: AccessLogSink
    /// The addresses actually bound (port 0 replaced by the kernel's choice).
    public let boundAddresses: [ListenAddress]
    /// The event loops, which the admin listener shares (it is light and plain HTTP).
    public var eventLoopGroup: EventLoopGroup { group }

    private init(group: MultiThreadedEventLoopGroup, serverChannels: [Channel], current: NIOLockedValueBox<ServerGeneration>,
                 gate: ConnectionGate, logger: Logger, metrics: PullGuardMetrics, boundAddresses: [ListenAddress],
                 accessLogSink: AccessLogSink) {
        self.accessLogSink = accessLogSink
        self.group = group
        self.serverChannels = serverChannels
        self.current = current
        self.gate = gate
        self.logger = logger
        self.metrics = metrics
        self.boundAddresses = boundAddresses
    }

    /// Builds the first generation, binds every listener and starts accepting.
    /// - Parameter metrics: the process's counters, made by the caller with one block per
    ///   worker (`PullGuardMetrics(eventLoops: settings.workers)`); loop *i* counts into block *i*.
    /// - Throws: the first certificate, key or trust problem (naming its file), or a bind error.
    public static func start(settings: PullGuardSettings, logger: Logger,
                             metrics: PullGuardMetrics) async throws -> PullGuardServer {
        let contextSet = try await NIOThreadPool.singleton.runIfActive {
            try ServerContextSet(sites: settings.sites, settings: settings.tls)
        }
        // Per-site metric handles, by `SiteID` like the contexts; each reload builds them
        // again for its generation (same site names, same series).
        let inventory = contextSet.inventory
        let siteMetrics = metrics.siteMetrics(for: inventory)
        let accessLogSink = try AccessLogSink(destination: settings.accessLog.destination)
        accessLogSink.reportProblems { logger.error("\($0)") }
        let accessLog = makeAccessLog(settings, sink: accessLogSink)
        // The proxy is built from the same site table as the TLS contexts: the `SiteID`
        // a handshake chose is an index into both.
        let proxy = HTTPProxy(settings: settings.proxy, sites: settings.sites, logger: logger, metrics: metrics,
                              siteMetrics: siteMetrics, accessLog: accessLog)
        let current = NIOLockedValueBox(ServerGeneration(number: 1, loadedAt: Date(), settings: settings,
                                                         contexts: contextSet, proxy: proxy,
                                                         inventory: inventory, siteMetrics: siteMetrics,
                                                         accessLog: accessLog))
        let gate = ConnectionGate(limits: settings.limits)
        metrics.observeActiveConnections { gate.openConnections }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, settings.workers))
        let loops = EventLoopIndex(group)
        var channels: [Channel] = []
        var bound: [ListenAddress] = []
        do {
            for listener in settings.listeners {
                let channel = try await ServerBootstrap(group: group)
                    .serverChannelOption(.backlog, value: 1024)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    // TCP_NODELAY is an IPPROTO_TCP option: `.socketOption(.tcp_nodelay)`
                    // would set SOL_SOCKET option 1, which is SO_DEBUG.
                    .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                    .childChannelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            let loop = loops.position(of: channel.eventLoop)
                            guard admit(channel, gate: gate, counters: metrics.counters(forLoop: loop), logger: logger) else {
                                return
                            }
                            let generation = current.withLockedValue { $0 }
                            let pipeline = channel.pipeline.syncOperations
                            let slotHandler = HandshakeSlotHandler(gate: gate)
                            let slot = NIOLoopBound(slotHandler.slot, eventLoop: channel.eventLoop)
                            channel.closeFuture.whenComplete { _ in
                                gate.closed(handshakeFinished: slot.value.released)
                                slot.value.released = true
                            }
                            try pipeline.addHandler(TLSServerHandler(contexts: generation.contexts, logger: logger,
                                                                     metrics: metrics, loop: loop,
                                                                     siteMetrics: generation.siteMetrics,
                                                                     accessLog: generation.accessLog))
                            try pipeline.addHandler(slotHandler)
                            try generation.proxy.configure(pipeline, channel: channel, loop: loop, afterTLSHandler: true)
                            // Accepted while its generation was being replaced: it serves
                            // at most one request, like the others of its generation.
                            if let drain = generation.connections.add(channel) {
                                channel.pipeline.fireUserInboundEventTriggered(drain)
                            }
                        }
                    }
                    .bind(host: listener.host, port: listener.port)
                    .get()
                channels.append(channel)
                bound.append(ListenAddress(host: listener.host, port: channel.localAddress?.port ?? listener.port))
            }
        } catch {
            for channel in channels { try? await channel.close() }
            try? await group.shutdownGracefully()
            accessLogSink.close()
            throw ListenError(address: settings.listeners[channels.count], underlying: error)
        }
        metrics.recordGeneration(number: 1, loadedAt: current.withLockedValue { $0.loadedAt })
        return PullGuardServer(group: group, serverChannels: channels, current: current, gate: gate, logger: logger,
                               metrics: metrics, boundAddresses: bound, accessLogSink: accessLogSink)
    }

    /// The generation serving new connections: its number and when it was loaded.
    public var generation: (number: Int, loadedAt: Date) {
        let generation = current.withLockedValue { $0 }
        return (generation.number, generation.loadedAt)
    }

    /// The settings of the generation serving new connections.
    public var settings: PullGuardSettings { current.withLockedValue { $0.settings } }

    /// Serving, and not draining: what `/readyz` reports.
    public var isReady: Bool { !draining.withLockedValue { $0 } }

    /// Returns once every listener has closed.
    public func waitUntilClosed() async throws {
        for channel in serverChannels {
            try await channel.closeFuture.get()
        }
    }

    /// Stops accepting, then shuts the event loops down (closing open connections) at once.
    public func shutdown() async throws {
        for channel in serverChannels {
            try? await channel.close()
        }
        try await group.shutdownGracefully()
        // After the loops: every line of a request that ended is written before exit.
        accessLogSink.close()
    }

    /// Opens the access log's file again by its path (SIGUSR1, after logrotate moved it).
    public func reopenAccessLog() {
        accessLogSink.reopen()
    }
}

/// A configuration's access log on the process's sink; nil when `access_log` is off.
func makeAccessLog(_ settings: PullGuardSettings, sink: AccessLogSink) -> AccessLog? {
    guard settings.accessLog.isOn else { return nil }
    return AccessLog(sink: sink, settings: settings.accessLog, loops: settings.workers)
}

/// Takes the connection's slots from `gate`, or closes it at once (counted, logged at
/// debug: a flood must not flood the log) without reading a byte from it.
private func admit(_ channel: Channel, gate: ConnectionGate, counters: LoopCounters, logger: Logger) -> Bool {
    let counter: PullGuardMetrics.Counter
    switch gate.admit() {
    case .admitted: return true
    case .overMaxConnections: counter = .connectionsOverLimit
    case .overMaxHandshakes: counter = .handshakesOverLimit
    }
    counters.increment(counter)
    logger.debug("connection refused at accept", metadata: [
        "client": "\(channel.remoteAddress?.ipAddress ?? "unknown")", "reason": "\(counter.rawValue)",
    ])
    channel.close(promise: nil)
    return false
}

/// A listener that could not be bound, named by its configured address.
public struct ListenError: Error, CustomStringConvertible {
    public var address: ListenAddress
    public var underlying: Error

    public var description: String {
        "cannot listen on \(address): \(underlying)"
    }
}

/// Checks that everything the TLS layer will load at start-up loads: certificates,
/// keys matching their certificates, trust bundles, the Cloudflare pin and CRLs.
/// Used by `pullguard check` so a bad file is found before a restart, not during one.
public enum ServerPreflight {
    /// One line per site that fails to load, each naming the site and the file.
    public static func problems(in settings: PullGuardSettings) -> [String] {
        zip(settings.sites.ids, settings.sites).compactMap { id, site in
            let index = id.index
            do {
                _ = try OpenSSLServerContext(site: site, id: id)
                return nil
            } catch {
                return "sites[\(index)] (\(site.name)): \(error)"
            }
        }
    }
}
