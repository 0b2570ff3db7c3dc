extension PullGuardMetrics {
    /// The counters. Their raw values are a contract (docs/metrics.md): never rename one,
    /// add new names instead.
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
        /// A connection negotiated HTTP/2 (ALPN `h2`).
        case http2Connections = "http2_connections_total"
        /// PullGuard reset an HTTP/2 stream: idle past `http2.stream_idle`, or its exchange
        /// could not finish (the upstream failed mid-response).
        case http2StreamsReset = "http2_streams_reset_total"
        /// An HTTP/2 connection ended with GOAWAY for abuse: a flood of acknowledgements,
        /// settings, resets (rapid reset), CONTINUATION or empty DATA frames.
        case http2Abuse = "http2_connections_ended_for_abuse_total"
        /// An HTTP/2 connection ended for a protocol error (bad preface, malformed frames).
        case http2ProtocolErrors = "http2_protocol_errors_total"
        /// An access-log line was dropped: the writer had fallen behind and its buffer was full.
        case accessLogDropped = "access_log_lines_dropped_total"
        /// A refused handshake's access-log line was held back by `access_log.refused_handshakes_per_second`.
        case accessLogRefusalsSuppressed = "access_log_refusal_lines_suppressed_total"
        /// Closed at accept: the client's address is not in `client_ips`.
        case connectionsRefusedClientIP = "connections_refused_client_ip_total"
        /// A new connection to an upstream was established: a request found none parked.
        case upstreamConnectionsOpened = "upstream_connections_opened_total"
        /// A parked upstream connection was closed because the last purge interval did not need it.
        case upstreamConnectionsPurged = "upstream_connections_purged_total"

        /// How many counters there are: the length of each loop's block.
        static let count = allCases.count

        /// The counter's place in a block: dense from 0, in declaration order.
        /// A switch rather than a search of `allCases`, so an increment costs no lookup;
        /// a new case fails to compile until it is given the next number here
        /// (and `PullGuardMetricsTests` checks the numbers are 0..<count).
        var ordinal: Int {
            switch self {
            case .handshakeFull: 0
            case .handshakeResumed: 1
            case .handshakeFailed: 2
            case .handshakeAbandoned: 3
            case .handshakeTimedOut: 4
            case .resumptionRefused: 5
            case .connectionsOverLimit: 6
            case .handshakesOverLimit: 7
            case .refusedCertificate: 8
            case .refusedNoCertificate: 9
            case .upstreamErrors: 10
            case .clientTimeouts: 11
            case .upstreamLimitWaits: 12
            case .upstreamLimitRejected: 13
            case .websocketTunnels: 14
            case .http2Connections: 15
            case .http2StreamsReset: 16
            case .http2Abuse: 17
            case .http2ProtocolErrors: 18
            case .accessLogDropped: 19
            case .accessLogRefusalsSuppressed: 20
            case .connectionsRefusedClientIP: 21
            case .upstreamConnectionsOpened: 22
            case .upstreamConnectionsPurged: 23
            }
        }
    }
}
