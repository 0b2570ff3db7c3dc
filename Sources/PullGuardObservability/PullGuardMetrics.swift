import NIOConcurrencyHelpers

/// Process-wide counters, created once and injected into the handlers that count.
///
/// Deliberately tiny for now: named counters behind one lock. The Prometheus
/// exporter (a later milestone) reads `snapshot()`; counter names are a contract.
public final class PullGuardMetrics: Sendable {
    public enum Counter: String, Sendable, CaseIterable {
        case handshakeFull = "tls_handshakes_full_total"
        case handshakeResumed = "tls_handshakes_resumed_total"
        case handshakeFailed = "tls_handshakes_failed_total"
        case handshakeAbandoned = "tls_handshakes_abandoned_total"
        case handshakeTimedOut = "tls_handshakes_timed_out_total"
        /// A client offered a session that its binding did not admit here; it got a full handshake.
        case resumptionRefused = "tls_resumptions_refused_total"
        /// Closed at accept: `limits.max_connections` reached.
        case connectionsOverLimit = "connections_refused_max_connections_total"
        /// Closed at accept: `limits.max_handshakes` handshakes already in progress.
        case handshakesOverLimit = "connections_refused_max_handshakes_total"
        case refusedCertificate = "client_certificates_refused_total"
        case refusedNoCertificate = "client_certificates_missing_total"
        case upstreamErrors = "upstream_errors_total"
        case clientTimeouts = "client_timeouts_total"
        case upstreamLimitWaits = "upstream_connection_limit_waits_total"
        case upstreamLimitRejected = "upstream_connection_limit_rejected_total"
        case websocketTunnels = "websocket_tunnels_total"
    }

    private let counts = NIOLockedValueBox([Counter: Int]())

    public init() {}

    public func increment(_ counter: Counter, by amount: Int = 1) {
        counts.withLockedValue { $0[counter, default: 0] += amount }
    }

    public func snapshot() -> [Counter: Int] {
        counts.withLockedValue { $0 }
    }
}
