import PullGuardCore
/// The decisions of one event loop's upstream connection pool, as a value.
///
/// The pool hands each request its own connection (HTTP/1.1 has one exchange per
/// connection at a time) and keeps a few finished keep-alive connections per
/// upstream for the next request. There is no cap on leased connections: the
/// upstream is local and the downstream side already bounds concurrency by its
/// own connections. `UpstreamPool` performs the I/O these actions ask for; this
/// struct is tested without sockets.
package struct UpstreamPoolStateMachine {
    /// Identifies one upstream connection across events.
    struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
        var raw: Int
        var description: String { "upstream-conn-\(raw)" }
    }

    /// Where a connection is in its life inside the pool.
    enum ConnectionState: Equatable {
        /// `ClientBootstrap.connect` is under way for a waiting request.
        case connecting
        /// A request owns it.
        case leased
        /// Parked after a clean keep-alive exchange, ready for the next request.
        case idle
    }

    /// The pool as a whole.
    enum State: Equatable {
        case running
        /// After `shutdown()`: nothing is parked or leased out any more.
        case shutDown
    }

    enum LeaseAction: Equatable {
        /// Reuse this parked connection (the owner still checks it is alive).
        case useIdle(ConnectionID)
        /// Open a new connection with this ID.
        case connect(ConnectionID)
        /// The pool is shut down.
        case fail
    }

    enum ReleaseAction: Equatable {
        /// Keep it for the next request.
        case park
        /// Close it: not reusable, too many idle already, or shut down.
        case close
    }

    private(set) var state: State = .running
    private var connections: [ConnectionID: (upstream: UpstreamAddress, state: ConnectionState)] = [:]
    /// Parked connections per upstream; the most recently parked is last and is
    /// reused first, so rarely used ones age out at the upstream's idle timeout.
    /// On the per-request path both tables are changed by plain stores and through
    /// `values[index]`: an optional-chained `table[key]?.…` runs the subscript's modify
    /// coroutine, whose frame was a `malloc` and a `free` per call (callgrind).
    private var idle: [UpstreamAddress: [ConnectionID]] = [:]
    private var nextID = 0
    let maxIdlePerUpstream: Int

    init(maxIdlePerUpstream: Int) {
        self.maxIdlePerUpstream = max(0, maxIdlePerUpstream)
    }

    /// A request wants a connection to `upstream`.
    mutating func lease(_ upstream: UpstreamAddress) -> LeaseAction {
        guard state == .running else { return .fail }
        if let index = idle.index(forKey: upstream), let id = idle.values[index].popLast() {
            connections[id] = (upstream, .leased)
            return .useIdle(id)
        }
        let id = ConnectionID(raw: nextID)
        nextID += 1
        connections[id] = (upstream, .connecting)
        return .connect(id)
    }

    /// The connect for `id` succeeded; the waiting request now owns it.
    /// Returns false when the pool shut down meanwhile and the channel must be closed.
    mutating func connected(_ id: ConnectionID) -> Bool {
        guard state == .running, connections[id]?.state == .connecting else {
            connections[id] = nil
            return false
        }
        connections[id]?.state = .leased
        return true
    }

    /// The connect for `id` failed; forget it.
    mutating func connectFailed(_ id: ConnectionID) {
        connections[id] = nil
    }

    /// The request owning `id` is done with it. `reusable` is the owner's verdict
    /// that the exchange ended cleanly with HTTP/1.1 keep-alive semantics.
    mutating func release(_ id: ConnectionID, reusable: Bool) -> ReleaseAction {
        guard let entry = connections[id], entry.state == .leased else {
            connections[id] = nil
            return .close
        }
        // One look-up of the upstream's list (hashing its host is most of a look-up).
        let index = idle.index(forKey: entry.upstream)
        let parked = index.map { idle.values[$0].count } ?? 0
        guard state == .running, reusable, parked < maxIdlePerUpstream else {
            connections[id] = nil
            return .close
        }
        connections[id] = (entry.upstream, .idle)
        if let index {
            idle.values[index].append(id)
        } else {
            idle[entry.upstream] = [id]
        }
        return .park
    }

    /// The channel of `id` closed (by the upstream, or after we closed it).
    /// Returns true when it was parked, so nobody else will hear of it.
    @discardableResult
    mutating func closed(_ id: ConnectionID) -> Bool {
        guard let entry = connections.removeValue(forKey: id) else { return false }
        guard entry.state == .idle else { return false }
        idle[entry.upstream]?.removeAll { $0 == id }
        if idle[entry.upstream]?.isEmpty == true { idle[entry.upstream] = nil }
        return true
    }

    /// Stops the pool; returns the parked connections to close. Leased ones are
    /// closed when their owners release them.
    mutating func shutdown() -> [ConnectionID] {
        state = .shutDown
        let parked = idle.values.flatMap { $0 }
        for id in parked { connections[id] = nil }
        idle = [:]
        return parked
    }

    /// Parked connections to `upstream` (for tests and metrics).
    func idleCount(_ upstream: UpstreamAddress) -> Int { idle[upstream]?.count ?? 0 }

    /// Connections in any state (for tests and metrics).
    var connectionCount: Int { connections.count }
}
