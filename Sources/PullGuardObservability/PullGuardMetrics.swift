import Foundation
import Prometheus
import PullGuardCore
import Synchronization

/// Process-wide counters, created once by the composition root and injected into the
/// handlers that count.
///
/// Each event loop counts into its own block (`LoopCounters`, `SiteMetricsTable`), so the
/// hot path takes no shared lock and no two cores write the same cache line; `snapshot()`
/// sums the blocks. `exposition()` feeds the sums into a persistent swift-prometheus
/// registry, which writes the Prometheus text format (docs/metrics.md). Counter names
/// are a contract (`Counter`, `SiteCounter`).
public final class PullGuardMetrics: Sendable {
    private let blocks: CounterBlocks
    let loops: Int
    /// Owns every exported series; written by swift-prometheus only at scrape time, except
    /// the per-loop histograms (see `handshakeDuration(forLoop:)`).
    let registry: PrometheusCollectorRegistry
    /// The scrape lock: serialises feeding counters into `registry` and the series tables.
    private let exporter: Mutex<ExporterState>
    private let exportedTotals: [Prometheus.Counter]
    private let handshakeDurations: [DurationHistogram]
    private let requestDurations: [DurationHistogram]
    private let generation: Gauge
    private let lastReloadSuccess: Gauge
    private let reloadsSucceeded: Prometheus.Counter
    private let reloadsFailed: Prometheus.Counter
    private let activeConnections: Gauge

    struct ExporterState {
        var fedTotals: [Int]
        var sites: [String: SiteSeries] = [:]
        var anchors: [AnchorKey: AnchorSeries] = [:]
        var activeConnections: (@Sendable () -> Int)?
    }

    struct AnchorKey: Hashable {
        var site: String
        var anchor: String
        var sha256: String
    }

    /// Handshake buckets: a resumption takes well under a millisecond, a full handshake with
    /// client verification a few; the upper buckets catch slow clients up to the 10 s timeout.
    static let handshakeBuckets: [Duration] = [.microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
                                               .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                                               .milliseconds(250), .seconds(1), .seconds(2.5), .seconds(10)]
    /// Request buckets: from a local upstream's sub-millisecond answer to the 60 s response timeout.
    static let requestBuckets: [Duration] = [.microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5),
                                             .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                                             .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
                                             .seconds(5), .seconds(10), .seconds(30), .seconds(60)]

    /// - Parameter eventLoops: how many loops will count, one block each (at least 1 is made).
    ///   The server passes its worker count; a test on one `EmbeddedEventLoop` passes 1.
    public init(eventLoops: Int) {
        loops = max(1, eventLoops)
        blocks = CounterBlocks(blockCount: loops)
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        let loops = self.loops
        exportedTotals = Counter.allCases.map { registry.makeCounter(name: "pullguard_\($0.rawValue)") }
        exporter = Mutex(ExporterState(fedTotals: Array(repeating: 0, count: Counter.count)))
        // Why one histogram per event loop, labelled `worker`: swift-prometheus's `Histogram`
        // takes a lock in `record`. Shared by all loops, that lock would be the one contended
        // lock on the request path; one per loop is only ever taken by its own loop (and
        // briefly by a scrape). `worker` is bounded by `workers`; `sum by (le)` aggregates.
        handshakeDurations = (0..<loops).map { worker in
            registry.makeDurationHistogram(name: "pullguard_tls_handshake_duration_seconds",
                                           labels: [("worker", "\(worker)")], buckets: Self.handshakeBuckets)
        }
        requestDurations = (0..<loops).map { worker in
            registry.makeDurationHistogram(name: "pullguard_request_duration_seconds",
                                           labels: [("worker", "\(worker)")], buckets: Self.requestBuckets)
        }
        generation = registry.makeGauge(name: "pullguard_config_generation")
        lastReloadSuccess = registry.makeGauge(name: "pullguard_config_last_reload_success_timestamp_seconds")
        reloadsSucceeded = registry.makeCounter(name: "pullguard_config_reload_total", labels: [("result", "success")])
        reloadsFailed = registry.makeCounter(name: "pullguard_config_reload_total", labels: [("result", "failure")])
        activeConnections = registry.makeGauge(name: "pullguard_active_connections")
    }

    /// The counters of the loop at `index` in its group (0-based). An index past the last
    /// block wraps around: the counts stay exact, that loop just shares a block.
    public func counters(forLoop index: Int) -> LoopCounters {
        LoopCounters(blocks: blocks, block: Int(index.magnitude % UInt(blocks.blockCount)))
    }

    /// The handshake-duration histogram of the loop at `index` (record on that loop only).
    public func handshakeDuration(forLoop index: Int) -> LoopHistogram {
        LoopHistogram(histogram: handshakeDurations[Int(index.magnitude % UInt(loops))])
    }

    /// The request-duration histogram of the loop at `index` (record on that loop only).
    public func requestDuration(forLoop index: Int) -> LoopHistogram {
        LoopHistogram(histogram: requestDurations[Int(index.magnitude % UInt(loops))])
    }

    /// Every counter (zeros included), summed over the loops' blocks.
    ///
    /// Taken while loops are counting, the values may be slightly stale (an add racing
    /// with the read shows up in the next snapshot), but never double-counted, and
    /// successive snapshots read on one thread never go down.
    public func snapshot() -> [Counter: Int] {
        Dictionary(uniqueKeysWithValues: Counter.allCases.map { ($0, blocks.sum(of: $0)) })
    }

    // MARK: Per-configuration handles

    /// Builds the per-site handles for one configuration, by `SiteID.index` (`inventory` is
    /// `ServerContextSet.inventory`, one entry per site of the `SiteTable`). Call it once per
    /// configuration generation, off the hot path. A site (by name) or anchor (by site, name
    /// and SHA-256) seen in an earlier generation gets its existing series back, so counts
    /// continue; the expiry gauges are set to this generation's certificates.
    public func siteMetrics(for inventory: [SiteInventory]) -> SiteMetricsTable {
        exporter.withLock { state in
            let sites = inventory.map { site in
                let series: SiteSeries
                if let existing = state.sites[site.name] {
                    series = existing
                } else {
                    series = SiteSeries(site: site.name, loops: loops, registry: registry)
                    state.sites[site.name] = series
                }
                let anchors = site.anchors.map { anchor in
                    let key = AnchorKey(site: site.name, anchor: anchor.name, sha256: anchor.sha256)
                    if let existing = state.anchors[key] { return existing }
                    let made = AnchorSeries(site: site.name, anchor: anchor.name, sha256: anchor.sha256,
                                            loops: loops, registry: registry)
                    state.anchors[key] = made
                    return made
                }
                setExpiryGauges(site)
                return SiteMetrics(series: series, anchors: anchors)
            }
            return SiteMetricsTable(sites: sites)
        }
    }

    /// Server certificate: the earliest notAfter among the site's certificates (an ECDSA and
    /// an RSA one side by side), since the first to expire is the one clients will hit.
    private func setExpiryGauges(_ site: SiteInventory) {
        if let earliest = site.serverCertificatesNotAfter.min() {
            registry.makeGauge(name: "pullguard_server_certificate_not_after_seconds", labels: [("site", site.name)])
                .set(earliest.timeIntervalSince1970)
        }
        for anchor in site.anchors {
            registry.makeGauge(name: "pullguard_trust_anchor_not_after_seconds",
                               labels: [("site", site.name), ("anchor", anchor.name), ("anchor_sha256", anchor.sha256)])
                .set(anchor.notAfter.timeIntervalSince1970)
        }
        for crl in site.crls {
            guard let next = crl.nextUpdate else { continue }
            registry.makeGauge(name: "pullguard_crl_next_update_seconds", labels: [("site", site.name), ("crl", crl.origin)])
                .set(next.timeIntervalSince1970)
        }
    }

    // MARK: Configuration generations

    /// The generation now serving and when it was loaded: sets `pullguard_config_generation`
    /// and `pullguard_config_last_reload_success_timestamp_seconds`. The composition root
    /// calls it with 1 at start and after each successful reload.
    public func recordGeneration(number: Int, loadedAt: Date) {
        generation.set(Double(number))
        lastReloadSuccess.set(loadedAt.timeIntervalSince1970)
    }

    /// Counts one reload attempt in `pullguard_config_reload_total{result}`.
    public func recordReload(success: Bool) {
        (success ? reloadsSucceeded : reloadsFailed).increment()
    }

    /// Where `pullguard_active_connections` is read from at scrape time (the connection gate's count).
    public func observeActiveConnections(_ read: @escaping @Sendable () -> Int) {
        exporter.withLock { $0.activeConnections = read }
    }

    // MARK: Exposition

    /// Every metric in the Prometheus text format (version 0.0.4), written by swift-prometheus
    /// after the per-loop sums are fed in. Safe from any thread; concurrent scrapes are serialised.
    public func exposition() -> [UInt8] {
        exporter.withLock { state in
            for counter in Counter.allCases {
                let now = blocks.sum(of: counter)
                let delta = now - state.fedTotals[counter.ordinal]
                if delta > 0 {
                    exportedTotals[counter.ordinal].increment(by: Int64(delta))
                    state.fedTotals[counter.ordinal] = now
                }
            }
            for series in state.sites.values { series.feed() }
            for series in state.anchors.values { series.feed() }
            if let read = state.activeConnections { activeConnections.set(Double(read())) }
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16_384)
            registry.emit(into: &buffer)
            return buffer
        }
    }

    /// Admissions counted so far for `anchor` of `site` (all generations), for tests.
    func admittedCount(site: String, anchor: String, sha256: String) -> Int? {
        exporter.withLock { $0.anchors[AnchorKey(site: site, anchor: anchor, sha256: sha256)]?.sum }
    }

    /// `counter` of `site` summed over loops, for tests.
    func siteCount(_ counter: SiteCounter, site: String) -> Int? {
        exporter.withLock { $0.sites[site]?.sum(counter) }
    }
}
