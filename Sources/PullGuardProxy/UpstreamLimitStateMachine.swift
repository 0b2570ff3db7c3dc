/// The decisions of one site's upstream connection cap
/// (`limits.max_upstream_connections_per_site`), as a value.
///
/// A slot is held from the moment a request wants an upstream connection until the
/// exchange ends (or, for a WebSocket, the tunnel closes). A request beyond the cap
/// waits in arrival order; a released slot goes straight to the oldest waiter, so a
/// newcomer cannot overtake it. The wait itself is bounded by the owner
/// (`UpstreamConnectionLimit`'s users give up after `timeouts.upstream_connect` with
/// 503), which is HAProxy's `maxconn` + `timeout queue` (that defaults to
/// `timeout connect`).
package struct UpstreamLimitStateMachine {
    struct WaiterID: Hashable, Sendable {
        var raw: Int
    }

    enum AcquireAction: Equatable {
        /// A slot is the caller's now.
        case granted
        /// Wait for ``release()`` to hand this waiter a slot.
        case wait(WaiterID)
    }

    let limit: Int
    /// Slots held, including those just handed to a waiter.
    private(set) var inUse = 0
    private var waiters: [WaiterID] = []
    private var waitersStart = 0
    private var nextID = 0

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Waiters not yet served or cancelled.
    var waiting: Int { waiters.count - waitersStart }

    mutating func acquire() -> AcquireAction {
        if inUse < limit && waiting == 0 {
            inUse += 1
            return .granted
        }
        let id = WaiterID(raw: nextID)
        nextID += 1
        waiters.append(id)
        return .wait(id)
    }

    /// A holder is done. Returns the waiter that now holds the slot, if any.
    mutating func release() -> WaiterID? {
        if waitersStart < waiters.count {
            let next = waiters[waitersStart]
            waitersStart += 1
            compact()
            return next
        }
        inUse = max(0, inUse - 1)
        return nil
    }

    /// A waiter gives up (its wait timed out or its client left). Returns false when it
    /// was not waiting any more: a slot was handed to it already and must be released.
    mutating func cancel(_ id: WaiterID) -> Bool {
        guard let index = waiters[waitersStart...].firstIndex(of: id) else { return false }
        waiters.remove(at: index)
        compact()
        return true
    }

    private mutating func compact() {
        if waitersStart == waiters.count {
            waiters.removeAll(keepingCapacity: true)
            waitersStart = 0
        } else if waitersStart > 64 && waitersStart * 2 > waiters.count {
            waiters.removeFirst(waitersStart)
            waitersStart = 0
        }
    }
}
