import NIOCore
import NIOPosix
import Synchronization
import Testing
@testable import PullGuardObservability

/// Per-loop counter blocks: several event loops counting at once, summed when read.
@Suite struct PullGuardMetricsTests {
    typealias Counter = PullGuardMetrics.Counter

    @Test func countsFromSeveralEventLoopsSumExactly() async throws {
        let loops = 4, perLoop = 50_000
        let group = MultiThreadedEventLoopGroup(numberOfThreads: loops)
        let metrics = PullGuardMetrics(eventLoops: loops)
        let work = group.makeIterator().enumerated().map { position, loop in
            loop.submit {
                let counters = metrics.counters(forLoop: position)
                for _ in 0..<perLoop {
                    counters.increment(.handshakeFull)
                    counters.increment(.upstreamErrors, by: 3)
                }
            }
        }
        try await EventLoopFuture.andAllSucceed(work, on: group.any()).get()
        let snapshot = metrics.snapshot()
        #expect(snapshot[.handshakeFull] == loops * perLoop)
        #expect(snapshot[.upstreamErrors] == 3 * loops * perLoop)
        #expect(snapshot.count == Counter.allCases.count)
        #expect(snapshot.filter { $0.value != 0 }.keys.sorted { $0.rawValue < $1.rawValue } == [.handshakeFull, .upstreamErrors])
        try await group.shutdownGracefully()
    }

    @Test func snapshotsTakenWhileLoopsCountNeverGoDown() async throws {
        let loops = 3, perLoop = 200_000
        let group = MultiThreadedEventLoopGroup(numberOfThreads: loops)
        let metrics = PullGuardMetrics(eventLoops: loops)
        let finished = FinishedLoops()
        let work = group.makeIterator().enumerated().map { position, loop in
            loop.submit {
                let counters = metrics.counters(forLoop: position)
                for _ in 0..<perLoop { counters.increment(.clientTimeouts) }
                finished.count.add(1, ordering: .releasing)
            }
        }
        var previous = 0
        var wentDown = false
        // Ends by itself: every loop finishes its fixed amount of work.
        repeat {
            let now = metrics.snapshot()[.clientTimeouts] ?? -1
            if now < previous { wentDown = true }
            previous = now
        } while finished.count.load(ordering: .acquiring) < loops
        #expect(!wentDown)
        #expect(previous <= loops * perLoop)
        try await EventLoopFuture.andAllSucceed(work, on: group.any()).get()
        #expect(metrics.snapshot()[.clientTimeouts] == loops * perLoop)
        try await group.shutdownGracefully()
    }

    @Test func aLoopPastTheLastBlockSharesOneAndCountsStayExact() {
        let metrics = PullGuardMetrics(eventLoops: 2)
        metrics.counters(forLoop: 1).increment(.websocketTunnels)
        metrics.counters(forLoop: 3).increment(.websocketTunnels, by: 2)
        metrics.counters(forLoop: 0).increment(.websocketTunnels, by: 4)
        #expect(metrics.snapshot()[.websocketTunnels] == 7)
    }

    @Test func noLoopsStillMakesOneBlock() {
        let metrics = PullGuardMetrics(eventLoops: 0)
        metrics.counters(forLoop: 0).increment(.handshakeTimedOut)
        #expect(metrics.snapshot()[.handshakeTimedOut] == 1)
    }

    @Test func ordinalsAreDenseAndInDeclarationOrder() {
        #expect(Counter.allCases.map(\.ordinal) == Array(0..<Counter.allCases.count))
    }

    @Test func eachBlockStartsOnItsOwn128ByteBoundary() {
        let blocks = CounterBlocks(blockCount: 3)
        let addresses = (0..<3).map { Int(bitPattern: blocks.address(ofBlock: $0)) }
        #expect(addresses.allSatisfy { $0 % 128 == 0 })
        #expect(addresses[1] - addresses[0] == blocks.blockBytes)
        #expect(addresses[2] - addresses[1] == blocks.blockBytes)
        #expect(blocks.blockBytes >= Counter.allCases.count * MemoryLayout<Int>.size)
    }
}

/// How many loops have finished counting, read by the test's thread.
private final class FinishedLoops: Sendable {
    let count = Atomic<Int>(0)
}
