import NIOCore
import PullGuardCore

extension PullGuardServer {
    /// The graceful stop: stops accepting, reports not ready, asks every connection of every
    /// generation to finish (the request in flight gets `Connection: close`, an idle
    /// connection closes at once), waits up to `timeout`, closes what remains, and shuts
    /// the event loops down.
    ///
    /// `closeAllConnections()` (a second signal) cuts the wait short.
    public func drain(timeout: TimeAmount) async throws {
        draining.withLockedValue { $0 = true }
        for channel in serverChannels {
            try? await channel.close()
        }
        let generations = allGenerations
        let event = ConnectionDrain(reason: .shutdown)
        for generation in generations { generation.connections.drain(event) }
        let deadline = NIODeadline.now() + timeout
        var open = 0
        for generation in generations where await !generation.connections.waitUntilEmpty(deadline: deadline) {
            open += generation.connections.count
        }
        if open > 0 {
            logger.notice("closing connections still open after drain_timeout", metadata: ["connections": "\(open)"])
        }
        try await group.shutdownGracefully()
        accessLogSink.close()
    }

    /// Closes every client connection at once, without waiting for requests in flight.
    public func closeAllConnections() {
        for generation in allGenerations { generation.connections.closeAll() }
    }

    /// Open client connections of every generation.
    public var openConnections: Int {
        allGenerations.reduce(0) { $0 + $1.connections.count }
    }

    private var allGenerations: [ServerGeneration] {
        [current.withLockedValue { $0 }] + retired.withLockedValue { $0 }
    }
}
