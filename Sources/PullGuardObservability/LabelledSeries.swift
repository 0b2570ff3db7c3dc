import Prometheus
import Synchronization

/// One site's counters (`SiteCounter`), all event loops, for the life of the process.
///
/// Counting goes to per-loop `CounterBlocks` (no lock); the swift-prometheus counters are
/// only advanced at scrape time, by the growth since the last scrape (`feed()`), under
/// `PullGuardMetrics`'s scrape lock. That keeps swift-prometheus's own atomics and locks
/// off the hot path while it still writes the text format.
final class SiteSeries: Sendable {
    let blocks: CounterBlocks
    /// The exported counters, by `SiteCounter.rawValue`.
    private let exported: [Prometheus.Counter]
    /// What `exported` was last advanced to, by `SiteCounter.rawValue`.
    private let fed: Mutex<[Int]>

    init(site: String, loops: Int, registry: PrometheusCollectorRegistry) {
        blocks = CounterBlocks(blockCount: loops, counters: SiteCounter.allCases.count)
        exported = SiteCounter.allCases.map { counter in
            let (name, labels) = counter.exposition
            return registry.makeCounter(name: name, labels: [("site", site)] + labels)
        }
        fed = Mutex(Array(repeating: 0, count: SiteCounter.allCases.count))
    }

    @inline(__always)
    func increment(_ counter: SiteCounter, loop: Int) {
        blocks.add(1, toSlot: counter.rawValue, in: loop % blocks.blockCount)
    }

    /// Advances the exported counters to the current sums.
    func feed() {
        fed.withLock { fed in
            for counter in SiteCounter.allCases {
                let now = blocks.sum(ofSlot: counter.rawValue)
                let delta = now - fed[counter.rawValue]
                if delta > 0 {
                    exported[counter.rawValue].increment(by: Int64(delta))
                    fed[counter.rawValue] = now
                }
            }
        }
    }

    func sum(_ counter: SiteCounter) -> Int { blocks.sum(ofSlot: counter.rawValue) }
}

/// Client certificates admitted under one trust anchor of one site, all event loops.
/// Same scheme as `SiteSeries`: one per-loop slot, fed to swift-prometheus at scrape time.
final class AnchorSeries: Sendable {
    let blocks: CounterBlocks
    private let exported: Prometheus.Counter
    private let fed = Mutex(0)

    init(site: String, anchor: String, sha256: String, loops: Int, registry: PrometheusCollectorRegistry) {
        blocks = CounterBlocks(blockCount: loops, counters: 1)
        exported = registry.makeCounter(name: "pullguard_client_certificates_admitted_total",
                                        labels: [("site", site), ("anchor", anchor), ("anchor_sha256", sha256)])
    }

    @inline(__always)
    func increment(loop: Int) {
        blocks.add(1, toSlot: 0, in: loop % blocks.blockCount)
    }

    func feed() {
        fed.withLock { fed in
            let now = blocks.sum(ofSlot: 0)
            if now > fed {
                exported.increment(by: Int64(now - fed))
                fed = now
            }
        }
    }

    var sum: Int { blocks.sum(ofSlot: 0) }
}
