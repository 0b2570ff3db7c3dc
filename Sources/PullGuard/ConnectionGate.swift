import NIOConcurrencyHelpers
import NIOCore
import PullGuardCore

/// Counts open connections and unfinished handshakes for the whole process, and refuses
/// a new connection at accept (before OpenSSL reads a byte) when its address is not in
/// `client_ips` or when either limit is reached.
///
/// A value state machine behind a lock: every event loop accepts, so the counts are
/// shared; one lock operation per accept and per close is nothing beside a handshake.
public final class ConnectionGate: Sendable {
    public enum Admission: Sendable, Equatable {
        case admitted
        /// Not in `client_ips`; checked first, so such a connection never takes a slot.
        case clientAddressRefused
        case overMaxConnections
        case overMaxHandshakes
    }

    struct Counts: Sendable, Equatable {
        var open = 0
        var handshaking = 0
        /// Beside the counts, so a reload's new limits and the counts are read together.
        var limits: ConnectionLimits
        /// `client_ips`; nil admits every address. Beside the limits for the same reason.
        var clientAddresses: ClientAddressList?
    }

    private let counts: NIOLockedValueBox<Counts>

    public init(limits: ConnectionLimits, clientAddresses: ClientAddressList? = nil) {
        counts = NIOLockedValueBox(Counts(limits: limits, clientAddresses: clientAddresses))
    }

    /// A reload's limits and address list. Connections already admitted stay; lower limits
    /// and a narrower list only refuse new ones.
    public func update(limits: ConnectionLimits, clientAddresses: ClientAddressList?) {
        counts.withLockedValue {
            $0.limits = limits
            $0.clientAddresses = clientAddresses
        }
    }

    /// Takes a connection slot and a handshake slot, or neither. The address lookup is a
    /// bisection over a few integers, cheap enough to do inside the one lock operation
    /// rather than pay a second one (or copy the list out) per accept.
    public func admit(from address: SocketAddress?) -> Admission {
        counts.withLockedValue { counts in
            // Read in place (no copy of the list, so no retain of its arrays under the lock).
            if counts.clientAddresses?.admits(address) == false { return .clientAddressRefused }
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
