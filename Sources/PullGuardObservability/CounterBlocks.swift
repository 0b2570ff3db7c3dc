import Synchronization

/// The storage behind `PullGuardMetrics`: one block of counters per event loop, all in
/// one allocation, each block starting on its own 128-byte boundary.
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
    static let blockBytes = (PullGuardMetrics.Counter.count * MemoryLayout<Atomic<Int>>.stride + 127) / 128 * 128
    private static let countersPerBlock = blockBytes / MemoryLayout<Atomic<Int>>.stride

    let blockCount: Int
    /// Written only through atomics; never reallocated, freed in `deinit`. That is what
    /// makes the `@unchecked Sendable` above true.
    private let base: UnsafeMutablePointer<Atomic<Int>>

    /// - Parameter blockCount: at least 1.
    init(blockCount: Int) {
        precondition(blockCount >= 1, "at least one counter block")
        self.blockCount = blockCount
        let total = blockCount * Self.countersPerBlock
        let raw = UnsafeMutableRawPointer.allocate(byteCount: blockCount * Self.blockBytes, alignment: 128)
        base = raw.bindMemory(to: Atomic<Int>.self, capacity: total)
        for offset in 0..<total { (base + offset).initialize(to: Atomic(0)) }
    }

    deinit {
        base.deinitialize(count: blockCount * Self.countersPerBlock)
        UnsafeMutableRawPointer(base).deallocate()
    }

    /// Adds `amount` to `counter` in `block`. Safe from any thread; meant for the block's own loop.
    @inline(__always)
    func add(_ amount: Int, to counter: PullGuardMetrics.Counter, in block: Int) {
        base[block * Self.countersPerBlock + counter.ordinal].wrappingAdd(amount, ordering: .relaxed)
    }

    /// `counter` summed over every block. Each block is read once while its loop may still
    /// be adding: the sum can miss adds that race with the read (it is slightly stale),
    /// never counts one twice, and successive sums taken by one thread never go down.
    func sum(of counter: PullGuardMetrics.Counter) -> Int {
        var total = 0
        for block in 0..<blockCount {
            total &+= base[block * Self.countersPerBlock + counter.ordinal].load(ordering: .relaxed)
        }
        return total
    }

    /// The address of `block`'s first counter, for the layout test.
    func address(ofBlock block: Int) -> UnsafeRawPointer {
        UnsafeRawPointer(base + block * Self.countersPerBlock)
    }
}
