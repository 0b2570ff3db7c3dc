internal import COpenSSL
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import PullGuardCore

/// The server's TLS session cache, kept by PullGuard instead of OpenSSL's internal one
/// so that every resumption passes through a policy check (`SessionBinding.refusal`).
///
/// OpenSSL's internal cache answers a lookup itself and only checks the session-ID
/// context and OpenSSL's own timeout; it cannot know for which site and trust a
/// session was verified, nor until when that verification holds. With
/// `SSL_SESS_CACHE_NO_INTERNAL`, OpenSSL hands every new session to `insert` and asks
/// `lookup` for every resumption attempt.
///
/// Owns one reference to each stored `SSL_SESSION`, given back on eviction, removal
/// or deinit. Bounded: when full, the oldest entry goes (one at a time).
package final class SessionStore: @unchecked Sendable {
    // `@unchecked Sendable`: all state is behind `lock`; the SSL_SESSION pointers are
    // reference-counted by OpenSSL, which makes handing them across threads safe.
    private struct Entry {
        var session: OpaquePointer
        var binding: SessionBinding
        var sequence: UInt64
    }

    private struct State {
        var entries: [[UInt8]: Entry] = [:]
        /// Insertion order; an id whose entry has another sequence number is stale.
        var order = CircularBuffer<(id: [UInt8], sequence: UInt64)>()
        var nextSequence: UInt64 = 0
    }

    private let lock = NIOLock()
    private var state = State()
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    deinit {
        for entry in state.entries.values { SSL_SESSION_free(entry.session) }
    }

    var count: Int { lock.withLock { state.entries.count } }

    /// Takes over the caller's reference to `session`.
    func insert(id: [UInt8], session: OpaquePointer, binding: SessionBinding) {
        var released: [OpaquePointer] = []
        lock.withLock {
            if let old = state.entries[id] { released.append(old.session) }
            let sequence = state.nextSequence
            state.nextSequence += 1
            state.entries[id] = Entry(session: session, binding: binding, sequence: sequence)
            state.order.append((id, sequence))
            while state.entries.count > capacity, let oldest = state.order.popFirst() {
                if let entry = state.entries[oldest.id], entry.sequence == oldest.sequence {
                    state.entries[oldest.id] = nil
                    released.append(entry.session)
                }
            }
            compactOrderIfStale()
        }
        released.forEach { SSL_SESSION_free($0) }
    }

    /// The session for `id` with a new reference for the caller, and its binding; nil
    /// when unknown. An entry that no site could admit any more is dropped here.
    func lookup(id: [UInt8], now: Date) -> (session: OpaquePointer, binding: SessionBinding)? {
        var expired: OpaquePointer?
        let found: (OpaquePointer, SessionBinding)? = lock.withLock {
            guard let entry = state.entries[id] else { return nil }
            if entry.binding.isExpired(now: now) {
                state.entries[id] = nil
                expired = entry.session
                return nil
            }
            // The reference is taken under the lock, so an eviction on another thread
            // cannot free the session between this lookup and OpenSSL's use of it.
            SSL_SESSION_up_ref(entry.session)
            return (entry.session, entry.binding)
        }
        if let expired { SSL_SESSION_free(expired) }
        return found
    }

    func remove(id: [UInt8]) {
        let removed = lock.withLock { state.entries.removeValue(forKey: id) }
        if let removed { SSL_SESSION_free(removed.session) }
    }

    /// Removed entries leave their ids in `order`; rebuild it once they outnumber the live ones.
    private func compactOrderIfStale() {
        guard state.order.count > 2 * capacity else { return }
        let live = state.entries.map { (id: $0.key, sequence: $0.value.sequence) }.sorted { $0.sequence < $1.sequence }
        state.order = CircularBuffer(live)
    }
}
