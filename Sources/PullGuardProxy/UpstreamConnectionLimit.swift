import NIOConcurrencyHelpers
import PullGuardCore
import NIOCore

/// One site's cap on requests in flight to its upstream, shared by every event loop;
/// performs what `UpstreamLimitStateMachine` decides.
///
/// Why across loops rather than per loop (as the pools are): the cap protects the
/// upstream, which sees the sum over all workers. The lock is held only for the
/// value's few instructions; a waiter is called back on its own loop.
final class UpstreamConnectionLimit: Sendable {
    let limit: Int
    private let state: NIOLockedValueBox<(machine: UpstreamLimitStateMachine,
                                           waiters: [UpstreamLimitStateMachine.WaiterID: Waiter])>

    /// A waiting request: its loop and what to call there when a slot is its.
    struct Waiter: Sendable {
        var eventLoop: EventLoop
        var granted: NIOLoopBound<() -> Void>
    }

    enum Acquired {
        case granted
        case waiting(UpstreamLimitStateMachine.WaiterID)
    }

    init(limit: Int) {
        self.limit = limit
        state = NIOLockedValueBox((UpstreamLimitStateMachine(limit: limit), [:]))
    }

    /// Takes a slot now, or registers `waiter()` to be called back when one is handed
    /// over (`waiter` is only evaluated when the request has to wait).
    func acquire(waiter: () -> Waiter) -> Acquired {
        state.withLockedValue { state in
            switch state.machine.acquire() {
            case .granted:
                return .granted
            case .wait(let id):
                state.waiters[id] = waiter()
                return .waiting(id)
            }
        }
    }

    /// Gives a slot back; the oldest waiter, if any, gets it on its own loop.
    func release() {
        let next: Waiter? = state.withLockedValue { state in
            guard let id = state.machine.release() else { return nil }
            return state.waiters.removeValue(forKey: id)
        }
        guard let next else { return }
        next.eventLoop.execute { next.granted.value() }
    }

    /// See `UpstreamLimitStateMachine.cancel`: false means a slot is on its way to
    /// this waiter and must be released when it arrives.
    func cancel(_ id: UpstreamLimitStateMachine.WaiterID) -> Bool {
        state.withLockedValue { state in
            guard state.machine.cancel(id) else { return false }
            state.waiters[id] = nil
            return true
        }
    }

    /// Slots held now (for tests).
    var inUse: Int { state.withLockedValue { $0.machine.inUse } }
}

/// The slot an exchange holds, or waits for.
enum UpstreamSlot {
    case held(UpstreamConnectionLimit)
    case waiting(UpstreamConnectionLimit, UpstreamLimitStateMachine.WaiterID)

    /// Gives a held slot back, or stops waiting. When a waited-for slot is already on its
    /// way, the grant callback gives it back.
    func giveBack() {
        switch self {
        case .held(let limit): limit.release()
        case .waiting(let limit, let id): _ = limit.cancel(id)
        }
    }
}

extension Array where Element == UpstreamConnectionLimit {
    /// The cap of `site` (`limits.max_upstream_connections_per_site`); nil without a cap.
    func limit(for site: SiteID) -> UpstreamConnectionLimit? {
        indices.contains(site.index) ? self[site.index] : nil
    }
}
