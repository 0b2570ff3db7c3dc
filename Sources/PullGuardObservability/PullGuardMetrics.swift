/// Process-wide counters, created once by the composition root and injected into the
/// handlers that count.
///
/// Each event loop counts into its own block (`LoopCounters`), so the hot path takes no
/// shared lock and no two cores write the same cache line; `snapshot()` sums the blocks.
/// The Prometheus exporter (a later milestone) reads `snapshot()`; counter names are a
/// contract (`Counter`, docs/metrics.md).
public final class PullGuardMetrics: Sendable {
    private let blocks: CounterBlocks

    /// - Parameter eventLoops: how many loops will count, one block each (at least 1 is made).
    ///   The server passes its worker count; a test on one `EmbeddedEventLoop` passes 1.
    public init(eventLoops: Int) {
        blocks = CounterBlocks(blockCount: max(1, eventLoops))
    }

    /// The counters of the loop at `index` in its group (0-based). An index past the last
    /// block wraps around: the counts stay exact, that loop just shares a block.
    public func counters(forLoop index: Int) -> LoopCounters {
        LoopCounters(blocks: blocks, block: Int(index.magnitude % UInt(blocks.blockCount)))
    }

    /// Every counter (zeros included), summed over the loops' blocks.
    ///
    /// Taken while loops are counting, the values may be slightly stale (an add racing
    /// with the read shows up in the next snapshot), but never double-counted, and
    /// successive snapshots read on one thread never go down.
    public func snapshot() -> [Counter: Int] {
        Dictionary(uniqueKeysWithValues: Counter.allCases.map { ($0, blocks.sum(of: $0)) })
    }
}
