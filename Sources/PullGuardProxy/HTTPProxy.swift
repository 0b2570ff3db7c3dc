import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PullGuardCore
import PullGuardObservability

/// The proxy as the server sees it: one shared, immutable value per listener
/// configuration that sets up each accepted connection's HTTP side.
///
/// Overview (life of a request): the TLS handler fires `TLSConnectionEstablished`;
/// `HTTPProxyHandler` remembers the site and verdict; each request head is checked
/// by `HostBinding`, rewritten by `HeaderPolicy`, and streamed to a connection
/// leased from this event loop's `UpstreamPool`; the response streams back.
/// Per-connection decisions live in `ProxyConnectionStateMachine`, pool decisions
/// in `UpstreamPoolStateMachine`.
public final class HTTPProxy: Sendable {
    let settings: ProxySettings
    let logger: Logger
    let metrics: PullGuardMetrics
    /// Per-site counters of this configuration, by `SiteID.index`.
    let siteMetrics: SiteMetricsTable
    /// The anti-spoofing names and Host-binding table, built once for every connection.
    let rules: ProxyRequestRules
    /// Each site's upstream cap (`limits.max_upstream_connections_per_site`), shared by
    /// every loop, at the site's `SiteID.index`; empty without a cap.
    let limits: [UpstreamConnectionLimit]
    /// This configuration's access log; nil when `access_log` is off.
    let accessLog: AccessLog?
    private let pools: PoolRegistry
    /// Opens upstream connections in place of a `ClientBootstrap`: the in-memory proxy
    /// benchmark's `EmbeddedChannel`s. nil in the server.
    nonisolated(unsafe) private let upstreamConnector: UpstreamPool.Connector?

    /// - Parameters:
    ///   - sites: the configuration's sites, the same table the TLS contexts were built
    ///     from, so the `SiteID` a handshake chose finds its site here.
    ///   - metrics: the process's counters, from the composition root.
    ///   - previous: the proxy of the generation a reload replaces. Its upstream pools are
    ///     taken over when they are made the same way (idle cap, connect timeout), so a
    ///     reload does not reconnect to every upstream; a pool is keyed by upstream address,
    ///     so a site whose upstream changed simply leases from another entry.
    ///   - siteMetrics: per-site handles for `sites` (`PullGuardMetrics.siteMetrics(for:)`, built
    ///     from the same generation's `ServerContextSet.inventory`); `.empty` counts no per-site series.
    public convenience init(settings: ProxySettings, sites: SiteTable, logger: Logger, metrics: PullGuardMetrics,
                            previous: HTTPProxy? = nil, siteMetrics: SiteMetricsTable = .empty, accessLog: AccessLog? = nil) {
        self.init(settings: settings, sites: sites, logger: logger, metrics: metrics, previous: previous,
                  siteMetrics: siteMetrics, accessLog: accessLog, upstreamConnector: nil)
    }

    /// - Parameter upstreamConnector: see ``upstreamConnector``.
    package init(settings: ProxySettings, sites: SiteTable, logger: Logger, metrics: PullGuardMetrics,
                 previous: HTTPProxy? = nil, siteMetrics: SiteMetricsTable = .empty, accessLog: AccessLog? = nil,
                 upstreamConnector: UpstreamPool.Connector?) {
        self.upstreamConnector = upstreamConnector
        self.siteMetrics = siteMetrics
        self.accessLog = accessLog
        if let previous, previous.settings.maxIdleUpstreamConnectionsPerLoop == settings.maxIdleUpstreamConnectionsPerLoop,
           previous.settings.timeouts.upstreamConnect == settings.timeouts.upstreamConnect {
            pools = previous.pools
        } else {
            pools = PoolRegistry()
        }
        self.settings = settings
        rules = ProxyRequestRules(settings: settings, sites: sites)
        if let cap = settings.maxUpstreamConnectionsPerSite {
            limits = sites.map { _ in UpstreamConnectionLimit(limit: cap) }
        } else {
            limits = []
        }
        self.logger = logger
        self.metrics = metrics
    }

    /// Sets up a connection's HTTP side after the TLS handler: a `ProtocolSelectionHandler`
    /// that, once the handshake has chosen the protocol (ALPN), installs HTTP/2
    /// (`HTTP2ProxyHandler`) or HTTP/1.1 (`installHTTP1`). Called on the channel's event loop.
    /// `loop`: the position of the channel's event loop in its group, whose counters it uses.
    /// `afterTLSHandler`: a `TLSServerHandler` is in front, which sends pending writes
    /// with its close_notify when the channel closes.
    public func configure(_ pipeline: ChannelPipeline.SynchronousOperations, channel: Channel, loop: Int,
                          afterTLSHandler: Bool = false) throws {
        channel.eventLoop.assertInEventLoop()
        try pipeline.addHandler(ProtocolSelectionHandler(proxy: self, loop: loop, afterTLSHandler: afterTLSHandler))
    }

    /// HTTP/1.1: NIO's request decoder and the proxy handler, at the end of the pipeline.
    ///
    /// Responses are framed by the proxy handler itself (`HTTP1ResponseWriter`), not by
    /// NIO's response encoder and header validator: the upstream's fields are copied from
    /// its head's bytes, which the upstream parser checked. Pipelined requests are held
    /// back and malformed requests answered with 400 by `HTTPProxyHandler` itself, rather
    /// than by NIO's pipelining and error handlers: the first stops reading from the socket
    /// during every exchange (two `epoll_ctl` calls per request, for the rare client that
    /// pipelines), and each is one more handler on every connection.
    func installHTTP1(_ pipeline: ChannelPipeline.SynchronousOperations, channel: Channel, loop: Int,
                      afterTLSHandler: Bool) throws {
        try pipeline.addHandler(Self.makeRequestDecoder())
        let handler = HTTPProxyHandler(
            settings: settings, sites: rules.sites, pool: pool(for: channel.eventLoop, loop: loop),
            clientIP: channel.remoteAddress?.ipAddress, clientPort: channel.remoteAddress?.port,
            closeSendsPendingWrites: afterTLSHandler, rules: rules,
            limits: limits, logger: logger, counters: metrics.counters(forLoop: loop),
            siteMetrics: siteMetrics, loop: loop, requestDuration: metrics.requestDuration(forLoop: loop),
            accessLog: accessLog)
        try pipeline.addHandler(handler)
    }

    /// HTTP/2 for a connection whose handshake chose `h2`; nil when the selected site is
    /// unknown to this proxy (fail closed: the caller closes).
    func makeHTTP2Handler(_ established: TLSConnectionEstablished, channel: Channel, loop: Int) -> HTTP2ProxyHandler? {
        guard let site = rules.sites.site(established.site)?.proxy else { return nil }
        let siteLimit = limits.limit(for: established.site)
        return HTTP2ProxyHandler(
            established: established, site: site, settings: settings, http2: settings.http2,
            pool: pool(for: channel.eventLoop, loop: loop), rules: rules, siteLimit: siteLimit,
            clientIP: channel.remoteAddress?.ipAddress, clientPort: channel.remoteAddress?.port, logger: logger,
            counters: metrics.counters(forLoop: loop), siteMetrics: siteMetrics, loop: loop,
            requestDuration: metrics.requestDuration(forLoop: loop), accessLog: accessLog)
    }

    /// NIO's request decoder, made to hand on the bytes it holds when it is removed
    /// (`forwardBytes`): it stops parsing after an upgrade request, and the proxy then
    /// replaces it (`HTTPProxyHandler+CodecReset.swift`) or removes it for a tunnel;
    /// bytes the client sent behind that request must reach the successor, not vanish.
    static func makeRequestDecoder() -> ByteToMessageHandler<HTTPRequestDecoder> {
        ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
    }

    /// Whether `other` leases from the same upstream pools (it took them over in a reload).
    public func sharesPools(with other: HTTPProxy) -> Bool {
        pools === other.pools
    }

    /// Closes every pooled upstream connection, each on its own loop. For a replaced
    /// generation whose client connections are all gone and whose pools nobody took over.
    public func closePools() {
        pools.forEach { eventLoop, pool in
            eventLoop.execute { pool.value.shutdown() }
        }
    }

    /// This loop's pool, created on first use. Must be called on `eventLoop`, number `loop`.
    func pool(for eventLoop: EventLoop, loop: Int) -> UpstreamPool {
        eventLoop.assertInEventLoop()
        return pools.pool(for: eventLoop) {
            UpstreamPool(eventLoop: eventLoop, maxIdlePerUpstream: settings.maxIdleUpstreamConnectionsPerLoop,
                         connectTimeout: settings.timeouts.upstreamConnect, counters: metrics.counters(forLoop: loop),
                         connector: upstreamConnector)
        }
    }
}

/// The per-loop pools, keyed by the loop's identity. The lock only guards the
/// dictionary; each pool is loop-bound and only touched on its own loop.
private final class PoolRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var pools: [ObjectIdentifier: (eventLoop: EventLoop, pool: NIOLoopBound<UpstreamPool>)] = [:]

    func pool(for eventLoop: EventLoop, make: () -> UpstreamPool) -> UpstreamPool {
        lock.lock()
        defer { lock.unlock() }
        let key = ObjectIdentifier(eventLoop)
        if let existing = pools[key] { return existing.pool.value }
        let pool = make()
        pools[key] = (eventLoop, NIOLoopBound(pool, eventLoop: eventLoop))
        return pool
    }

    func forEach(_ body: (EventLoop, NIOLoopBound<UpstreamPool>) -> Void) {
        lock.lock()
        let all = Array(pools.values)
        lock.unlock()
        for entry in all { body(entry.eventLoop, entry.pool) }
    }
}
