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
    /// Identifies one upstream connection across events: its slot in the tables, and
    /// which of the slot's holders it is. A slot is reused once its connection is
    /// forgotten; the generation keeps a late event about that connection (a release
    /// after its close was seen) from reaching the slot's next one.
    struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
        let slot: Int
        let generation: Int
        var description: String { "upstream-conn-\(slot).\(generation)" }
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

    /// A connection the pool counts: its upstream (an index into `upstreams`) and state.
    private struct Entry {
        var upstream: Int
        var state: ConnectionState
    }

    /// A slot's connection, nil while the slot is free, and how many it has held.
    private struct Slot {
        var generation: Int
        var entry: Entry?
    }

    private(set) var state: State = .running
    /// Connections by `ConnectionID.slot`, and the free slots. Indexed rather than hashed:
    /// a request leases and releases once each, and the tables keyed by ID and by address
    /// hashed ~6 times per request (the address's host string twice), ~4% of an HTTP/2
    /// request's instructions (callgrind).
    private var slots: [Slot] = []
    private var freeSlots: [Int] = []
    /// Each upstream's counts, at the index `upstreamIndex` gives its address. Kept once
    /// seen (a purge empties an entry, never removes it): the addresses come from the
    /// configuration, so there are few.
    private var upstreams: [Upstream] = []
    private var upstreamIndex: [UpstreamAddress: Int] = [:]
    /// The last upstream leased: each site has one, so most leases find it without hashing.
    private var lastLeased: (address: UpstreamAddress, index: Int)?
    /// Parked connections per upstream at most, whatever the recent peak.
    let maxIdlePerUpstream: Int

    init(maxIdlePerUpstream: Int) {
        self.maxIdlePerUpstream = max(0, maxIdlePerUpstream)
    }

    /// A request wants a connection to `upstream`.
    mutating func lease(_ upstream: UpstreamAddress) -> LeaseAction {
        guard state == .running else { return .fail }
        let index = self.index(of: upstream)
        if let id = upstreams[index].take() {
            slots[id.slot].entry = Entry(upstream: index, state: .leased)
            return .useIdle(id)
        }
        return .connect(allocate(Entry(upstream: index, state: .connecting)))
    }

    /// The connect for `id` succeeded; the waiting request now owns it.
    /// Returns false when the pool shut down meanwhile and the channel must be closed.
    mutating func connected(_ id: ConnectionID) -> Bool {
        guard state == .running, let entry = entry(id), entry.state == .connecting else {
            forget(id)
            return false
        }
        slots[id.slot].entry = Entry(upstream: entry.upstream, state: .leased)
        return true
    }

    /// The connect for `id` failed; forget it.
    mutating func connectFailed(_ id: ConnectionID) {
        forget(id)
    }

    /// The request owning `id` is done with it. `reusable` is the owner's verdict
    /// that the exchange ended cleanly with HTTP/1.1 keep-alive semantics.
    mutating func release(_ id: ConnectionID, reusable: Bool) -> ReleaseAction {
        guard let entry = entry(id), entry.state == .leased else {
            forget(id)
            return .close
        }
        guard upstreams[entry.upstream].give(back: state == .running && reusable ? id : nil, maxIdle: maxIdlePerUpstream) else {
            free(id)
            return .close
        }
        slots[id.slot].entry = Entry(upstream: entry.upstream, state: .idle)
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
        for index in upstreams.indices {
            let needed = max(0, upstreams[index].peakInUse - upstreams[index].inUse)
            if upstreams[index].parked.count > needed {
                let excess = upstreams[index].parked.count - needed
                closing += upstreams[index].parked.prefix(excess)
                upstreams[index].parked.removeFirst(excess)
            }
            upstreams[index].peakInUse = upstreams[index].inUse
        }
        for id in closing { free(id) }
        return closing
    }

    /// Removes `id` wherever it is counted. Returns true when it was parked.
    @discardableResult
    private mutating func forget(_ id: ConnectionID) -> Bool {
        guard let entry = entry(id) else { return false }
        free(id)
        guard entry.state == .idle else {
            upstreams[entry.upstream].inUse -= 1
            return false
        }
        upstreams[entry.upstream].parked.removeAll { $0 == id }
        return true
    }

    /// Stops the pool; returns the parked connections to close. Leased ones are
    /// closed when their owners release them.
    mutating func shutdown() -> [ConnectionID] {
        state = .shutDown
        let parked = upstreams.flatMap(\.parked)
        for id in parked { free(id) }
        upstreams = upstreams.map { Upstream(inUse: $0.inUse, peakInUse: $0.peakInUse) }
        return parked
    }

    /// The connection `id` names, nil once it is forgotten (its slot free or held by a later one).
    private func entry(_ id: ConnectionID) -> Entry? {
        guard id.slot >= 0, id.slot < slots.count, slots[id.slot].generation == id.generation else { return nil }
        return slots[id.slot].entry
    }

    /// A slot for a new connection: a free one, in its next generation, or a new one.
    private mutating func allocate(_ entry: Entry) -> ConnectionID {
        guard let slot = freeSlots.popLast() else {
            slots.append(Slot(generation: 0, entry: entry))
            return ConnectionID(slot: slots.count - 1, generation: 0)
        }
        slots[slot].generation += 1
        slots[slot].entry = entry
        return ConnectionID(slot: slot, generation: slots[slot].generation)
    }

    /// Frees the slot of `id`, which holds it.
    private mutating func free(_ id: ConnectionID) {
        precondition(entry(id) != nil, "\(id) is not counted")
        slots[id.slot].entry = nil
        freeSlots.append(id.slot)
    }

    private mutating func index(of upstream: UpstreamAddress) -> Int {
        if let last = lastLeased, last.address == upstream { return last.index }
        let index = upstreamIndex[upstream] ?? {
            upstreams.append(Upstream())
            upstreamIndex[upstream] = upstreams.count - 1
            return upstreams.count - 1
        }()
        lastLeased = (upstream, index)
        return index
    }

    /// Parked connections to `upstream` (for tests and metrics).
    func idleCount(_ upstream: UpstreamAddress) -> Int { upstreamIndex[upstream].map { upstreams[$0].parked.count } ?? 0 }

    /// Connecting or leased connections to `upstream` (for tests).
    func inUseCount(_ upstream: UpstreamAddress) -> Int { upstreamIndex[upstream].map { upstreams[$0].inUse } ?? 0 }

    /// Connections in any state (for tests and metrics): every slot not free holds one.
    var connectionCount: Int { slots.count - freeSlots.count }
}
