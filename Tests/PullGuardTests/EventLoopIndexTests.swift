import NIOCore
import NIOEmbedded
import NIOPosix
import Testing
@testable import PullGuard

/// The server's loop positions: which metrics block each loop's connections count into.
@Suite struct EventLoopIndexTests {
    @Test func everyLoopOfTheGroupHasItsOwnPosition() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 3)
        let index = EventLoopIndex(group)
        let positions = group.makeIterator().map { index.position(of: $0) }
        #expect(positions == [0, 1, 2])
        #expect(index.position(of: EmbeddedEventLoop()) == 0)
        try await group.shutdownGracefully()
    }
}
