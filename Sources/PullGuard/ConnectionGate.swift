import NIOConcurrencyHelpers
import PullGuardCore

/// Counts open connections and unfinished handshakes for the whole process, and refuses
/// a new connection at accept (before OpenSSL reads a byte) when either limit is reached.
///
/// A value state machine behind a lock: every event loop accepts, so the counts are
/// shared; one lock operation per accept and per close is nothing beside a handshake.
public final class ConnectionGate: Sendable {
    public enum Admission: Sendable, Equatable {
        case admitted
        case overMaxConnections
        case overMaxHandshakes
    }

    struct Counts: Sendable, Equatable {
        var open = 0
        var handshaking = 0
        /// Beside the counts, so a reload's new limits and the counts are read together.
        var limits: ConnectionLimits
    }

    private let counts: NIOLockedValueBox<Counts>

    public init(limits: ConnectionLimits) {
        counts = NIOLockedValueBox(Counts(limits: limits))
    }

    /// A reload's limits. Connections already admitted stay; lower limits only refuse new ones.
    public func update(limits: ConnectionLimits) {
        counts.withLockedValue { $0.limits = limits }
    }

    /// Takes a connection slot and a handshake slot, or neither.
    public func admit() -> Admission {
        counts.withLockedValue { counts in
            if counts.open >= counts.limits.maxConnections { return .overMaxConnections }
            if counts.handshaking >= counts.limits.maxHandshakes { return .overMaxHandshakes }
            counts.open += 1
            counts.handshaking += 1
            return .admitted
        }
    }

    /// The admitted connection's handshake finished: its handshake slot is free.
    public func handshakeFinished() {
        counts.withLockedValue { $0.handshaking -= 1 }
    }

    /// The admitted connection closed; `handshakeFinished` tells whether its handshake slot was already given back.
    public func closed(handshakeFinished: Bool) {
        counts.withLockedValue { counts in
            counts.open -= 1
            if !handshakeFinished { counts.handshaking -= 1 }
        }
    }

    /// Current counts, for tests and metrics.
    public var openConnections: Int { counts.withLockedValue { $0.open } }
    public var handshakesInProgress: Int { counts.withLockedValue { $0.handshaking } }
}
