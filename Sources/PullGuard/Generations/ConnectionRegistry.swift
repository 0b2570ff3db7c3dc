import NIOConcurrencyHelpers
import NIOCore
import PullGuardCore

/// The open client connections of one configuration generation, so that a reload or a
/// shutdown can ask each of them to finish (`ConnectionDrain`) and close what remains
/// after `drain_timeout`.
///
/// One lock operation per accept and per close, like `ConnectionGate`: nothing beside a
/// handshake. The registry only holds channels; it never touches a pipeline's handlers.
final class ConnectionRegistry: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: Channel] = [:]
        /// Set once, by `drain`: every connection added later is told to drain at once.
        var draining: ConnectionDrain?
    }

    private let state = NIOLockedValueBox(State())

    /// Records `channel` until it closes. Returns the drain it must start with when the
    /// registry is already draining (it was accepted while its generation was replaced).
    func add(_ channel: Channel) -> ConnectionDrain? {
        let drain = state.withLockedValue { state in
            state.channels[ObjectIdentifier(channel)] = channel
            return state.draining
        }
        channel.closeFuture.whenComplete { [self] _ in
            state.withLockedValue { _ = $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
        }
        return drain
    }

    var count: Int { state.withLockedValue { $0.channels.count } }

    /// Asks every connection, now and later, to finish gracefully.
    func drain(_ event: ConnectionDrain) {
        let channels = state.withLockedValue { state in
            state.draining = event
            return Array(state.channels.values)
        }
        // Thread-safe: the pipeline hops to the channel's own loop.
        for channel in channels { channel.pipeline.fireUserInboundEventTriggered(event) }
    }

    /// Closes every connection still open, without waiting for it.
    func closeAll() {
        let channels = state.withLockedValue { Array($0.channels.values) }
        for channel in channels { channel.close(promise: nil) }
    }

    /// Returns once no connection is open, or at `deadline`; true when none is.
    func waitUntilEmpty(deadline: NIODeadline) async -> Bool {
        while count > 0 {
            if NIODeadline.now() >= deadline || Task.isCancelled { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }
}
