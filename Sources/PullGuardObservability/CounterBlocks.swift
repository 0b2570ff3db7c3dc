import Synchronization

/// The storage behind `PullGuardMetrics` and each site's and anchor's labelled counters
/// (`SiteSeries`, `AnchorSeries`): one block of counters per event loop, all in one
/// allocation, each block starting on its own 128-byte boundary.
///
/// Why blocks: a handler on loop *i* only ever adds to block *i*, so no two cores write
/// the same cache line and no lock is taken; a reader sums the blocks. The 128-byte
/// boundary (two cache lines) keeps neighbouring blocks apart even where the CPU
/// prefetches lines in adjacent pairs.
///
/// Why relaxed atomic adds rather than plain stores: a block has one writer by
/// construction, but a reader on another thread loads it while it is written, and only
/// an atomic makes that defined. An uncontended relaxed add on a line that stays in its
/// writer's cache costs a few nanoseconds. Should two loops ever share a block (more
/// loops than blocks), the adds stay exact; only the lines would bounce again.
final class CounterBlocks: @unchecked Sendable {
    /// Bytes each block occupies: the counters, rounded up to the 128-byte boundary.
    let blockBytes: Int
    private let countersPerBlock: Int

    let blockCount: Int
    /// Written only through atomics; never reallocated, freed in `deinit`. That is what
    /// makes the `@unchecked Sendable` above true.
    private let base: UnsafeMutablePointer<Atomic<Int>>

    /// - Parameters:
    ///   - blockCount: at least 1 (one per event loop).
    ///   - counters: counters per block, at least 1; `PullGuardMetrics.Counter`'s cases by default.
    init(blockCount: Int, counters: Int = PullGuardMetrics.Counter.count) {
        precondition(blockCount >= 1 && counters >= 1, "at least one counter block of one counter")
        self.blockCount = blockCount
        blockBytes = (counters * MemoryLayout<Atomic<Int>>.stride + 127) / 128 * 128
        countersPerBlock = blockBytes / MemoryLayout<Atomic<Int>>.stride
        let total = blockCount * countersPerBlock
        let raw = UnsafeMutableRawPointer.allocate(byteCount: blockCount * blockBytes, alignment: 128)
        base = raw.bindMemory(to: Atomic<Int>.self, capacity: total)
        for offset in 0..<total { (base + offset).initialize(to: Atomic(0)) }
    }

    deinit {
        base.deinitialize(count: blockCount * countersPerBlock)
        UnsafeMutableRawPointer(base).deallocate()
    }

    /// Adds `amount` to `counter` in `block`. Safe from any thread; meant for the block's own loop.
    @inline(__always)
    func add(_ amount: Int, to counter: PullGuardMetrics.Counter, in block: Int) {
        add(amount, toSlot: counter.ordinal, in: block)
    }

    /// Adds `amount` to the counter at `slot` (0..<counters) in `block`.
    @inline(__always)
    func add(_ amount: Int, toSlot slot: Int, in block: Int) {
        base[block * countersPerBlock + slot].wrappingAdd(amount, ordering: .relaxed)
    }

    /// `counter` summed over every block. Each block is read once while its loop may still
    /// be adding: the sum can miss adds that race with the read (it is slightly stale),
    /// never counts one twice, and successive sums taken by one thread never go down.
    func sum(of counter: PullGuardMetrics.Counter) -> Int {
        sum(ofSlot: counter.ordinal)
    }

    /// The counter at `slot` summed over every block (same staleness as `sum(of:)`).
    func sum(ofSlot slot: Int) -> Int {
        var total = 0
        for block in 0..<blockCount {
            total &+= base[block * countersPerBlock + slot].load(ordering: .relaxed)
        }
        return total
    }

    /// The address of `block`'s first counter, for the layout test.
    func address(ofBlock block: Int) -> UnsafeRawPointer {
        UnsafeRawPointer(base + block * countersPerBlock)
    }
}
