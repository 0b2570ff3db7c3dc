import PullGuardCore
/// The decisions of one event loop's upstream connection pool, as a value.
///
/// The pool hands each request its own connection (HTTP/1.1 has one exchange per
/// connection at a time) and parks finished keep-alive connections per upstream
/// for the next requests: as many as were in use at once lately (``purge()``), at
/// most `maxIdlePerUpstream`. There is no cap on leased connections here: the
/// site's `max_upstream_connections_per_site` and the downstream connections
/// bound them. `UpstreamPool` performs the I/O these actions ask for; this
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

    /// One upstream's connections as the pool counts them.
    struct Upstream {
        /// Parked connections; the most recently parked is last and is reused first,
        /// so the ones a purge closes are those unused for longest.
        var parked: [ConnectionID] = []
        /// Connecting or leased.
        var inUse = 0
        /// The most in use at once since the last purge.
        var peakInUse = 0

        /// One more in use: a parked connection if there is one. (One mutation of the
        /// table's entry per lease, and one per release below.)
        mutating func take() -> ConnectionID? {
            inUse += 1
            peakInUse = max(peakInUse, inUse)
            return parked.popLast()
        }

        /// One fewer in use; parks `id` unless it is nil or `maxIdle` are parked.
        mutating func give(back id: ConnectionID?, maxIdle: Int) -> Bool {
            inUse -= 1
            guard let id, parked.count < maxIdle else { return false }
            parked.append(id)
            return true
        }
    }

    private(set) var state: State = .running
    private var connections: [ConnectionID: (upstream: UpstreamAddress, state: ConnectionState)] = [:]
    /// On the per-request path this table is changed through `values[index]`: an
    /// optional-chained `table[key]?.…` runs the subscript's modify coroutine, whose
    /// frame was a `malloc` and a `free` per call (callgrind).
    private var upstreams: [UpstreamAddress: Upstream] = [:]
    private var nextID = 0
    /// Parked connections per upstream at most, whatever the recent peak.
    let maxIdlePerUpstream: Int

    init(maxIdlePerUpstream: Int) {
        self.maxIdlePerUpstream = max(0, maxIdlePerUpstream)
    }

    /// A request wants a connection to `upstream`.
    mutating func lease(_ upstream: UpstreamAddress) -> LeaseAction {
        guard state == .running else { return .fail }
        let index = upstreams.index(forKey: upstream) ?? {
            upstreams[upstream] = Upstream()
            return upstreams.index(forKey: upstream)!
        }()
        if let id = upstreams.values[index].take() {
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
        guard state == .running, let entry = connections[id], entry.state == .connecting else {
            forget(id)
            return false
        }
        connections[id] = (entry.upstream, .leased)
        return true
    }

    /// The connect for `id` failed; forget it.
    mutating func connectFailed(_ id: ConnectionID) {
        forget(id)
    }

    /// The request owning `id` is done with it. `reusable` is the owner's verdict
    /// that the exchange ended cleanly with HTTP/1.1 keep-alive semantics.
    mutating func release(_ id: ConnectionID, reusable: Bool) -> ReleaseAction {
        guard let entry = connections[id], entry.state == .leased,
              let index = upstreams.index(forKey: entry.upstream) else {
            forget(id)
            return .close
        }
        guard upstreams.values[index].give(back: state == .running && reusable ? id : nil, maxIdle: maxIdlePerUpstream) else {
            connections[id] = nil
            return .close
        }
        connections[id] = (entry.upstream, .idle)
        return .park
    }

    /// The channel of `id` closed (by the upstream, or after we closed it).
    /// Returns true when it was parked, so nobody else will hear of it.
    @discardableResult
    mutating func closed(_ id: ConnectionID) -> Bool {
        forget(id)
    }

    /// Closes what the last interval did not need: parked connections beyond the most
    /// that were in use at once since the last purge, less those in use now. A burst's
    /// connections stay for the next burst instead of being closed and opened again
    /// (each a connect, an accept at the upstream and a TIME_WAIT here); a quieter
    /// upstream is left with what its traffic uses. (HAProxy purges on the same idea,
    /// closing half of the excess per `pool-purge-delay`.)
    /// Returns the parked connections to close, least recently parked first.
    mutating func purge() -> [ConnectionID] {
        var closing: [ConnectionID] = []
        // Every 5 s over a few upstreams: plain look-ups, no mutation while iterating.
        for upstream in Array(upstreams.keys) {
            guard var entry = upstreams[upstream] else { continue }
            let needed = max(0, entry.peakInUse - entry.inUse)
            if entry.parked.count > needed {
                let excess = entry.parked.count - needed
                closing += entry.parked.prefix(excess)
                entry.parked.removeFirst(excess)
            }
            entry.peakInUse = entry.inUse
            upstreams[upstream] = entry.inUse == 0 && entry.parked.isEmpty ? nil : entry
        }
        for id in closing { connections[id] = nil }
        return closing
    }

    /// Removes `id` wherever it is counted. Returns true when it was parked.
    @discardableResult
    private mutating func forget(_ id: ConnectionID) -> Bool {
        guard let entry = connections.removeValue(forKey: id),
              let index = upstreams.index(forKey: entry.upstream) else { return false }
        guard entry.state == .idle else {
            upstreams.values[index].inUse -= 1
            return false
        }
        upstreams.values[index].parked.removeAll { $0 == id }
        return true
    }

    /// Stops the pool; returns the parked connections to close. Leased ones are
    /// closed when their owners release them.
    mutating func shutdown() -> [ConnectionID] {
        state = .shutDown
        let parked = upstreams.values.flatMap(\.parked)
        for id in parked { connections[id] = nil }
        upstreams = upstreams.mapValues { Upstream(inUse: $0.inUse, peakInUse: $0.peakInUse) }
        return parked
    }

    /// Parked connections to `upstream` (for tests and metrics).
    func idleCount(_ upstream: UpstreamAddress) -> Int { upstreams[upstream]?.parked.count ?? 0 }

    /// Connecting or leased connections to `upstream` (for tests).
    func inUseCount(_ upstream: UpstreamAddress) -> Int { upstreams[upstream]?.inUse ?? 0 }

    /// Connections in any state (for tests and metrics).
    var connectionCount: Int { connections.count }
}
