/// One event loop's counters: what a handler holds and increments.
///
/// Obtained once per connection from `PullGuardMetrics.counters(forLoop:)`; every
/// increment then goes to that loop's own block without a lock (see `CounterBlocks`).
public struct LoopCounters: Sendable {
    private let blocks: CounterBlocks
    private let block: Int

    init(blocks: CounterBlocks, block: Int) {
        self.blocks = blocks
        self.block = block
    }

    /// Adds `amount` to `counter`. Call it on the loop these counters were obtained for.
    @inline(__always)
    public func increment(_ counter: PullGuardMetrics.Counter, by amount: Int = 1) {
        blocks.add(amount, to: counter, in: block)
    }
}
