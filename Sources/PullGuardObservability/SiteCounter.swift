/// The counters kept per site (labelled `site`): handshake results, requests by status
/// class and protocol, upstream errors by kind. Each is one slot in a site's per-loop
/// `CounterBlocks`, so counting one is a relaxed atomic add on the loop's own cache line.
///
/// Their exposition (name and labels) is a contract like `PullGuardMetrics.Counter`'s
/// raw values (docs/metrics.md): add cases, never rename a label value.
public enum SiteCounter: Int, Sendable, CaseIterable {
    case handshakeFull
    case handshakeResumed
    case handshakeRefusedCertificate
    case handshakeRefusedNoCertificate
    case handshakeFailed
    case handshakeTimedOut
    case handshakeAbandoned
    case requests1xx
    case requests2xx
    case requests3xx
    case requests4xx
    case requests5xx
    case upstreamConnectRefused
    case upstreamConnectTimedOut
    case upstreamConnectFailed
    case upstreamResponseTimedOut
    case upstreamClosedBeforeResponse
    case upstreamUnexpectedSwitchingProtocols
    case upstreamBusy
    case h2Requests1xx
    case h2Requests2xx
    case h2Requests3xx
    case h2Requests4xx
    case h2Requests5xx
    case upstreamProtocolError

    /// The HTTP/1.1 request counter for `status` (100...599; anything else counts as 5xx:
    /// PullGuard never sends one, and an upstream's odd code must still be counted somewhere).
    @inline(__always)
    public static func requests(status: Int) -> SiteCounter {
        switch status {
        case 100..<200: .requests1xx
        case 200..<300: .requests2xx
        case 300..<400: .requests3xx
        case 400..<500: .requests4xx
        default: .requests5xx
        }
    }

    /// The HTTP/2 request counter for `status` (one stream), as `requests(status:)`.
    @inline(__always)
    public static func h2Requests(status: Int) -> SiteCounter {
        switch status {
        case 100..<200: .h2Requests1xx
        case 200..<300: .h2Requests2xx
        case 300..<400: .h2Requests3xx
        case 400..<500: .h2Requests4xx
        default: .h2Requests5xx
        }
    }

    /// The metric family and labels (besides `site`) this counter is exported as.
    var exposition: (name: String, labels: [(String, String)]) {
        switch self {
        case .handshakeFull: ("pullguard_site_tls_handshakes_total", [("result", "full")])
        case .handshakeResumed: ("pullguard_site_tls_handshakes_total", [("result", "resumed")])
        case .handshakeRefusedCertificate: ("pullguard_site_tls_handshakes_total", [("result", "refused_certificate")])
        case .handshakeRefusedNoCertificate: ("pullguard_site_tls_handshakes_total", [("result", "refused_no_certificate")])
        case .handshakeFailed: ("pullguard_site_tls_handshakes_total", [("result", "failed")])
        case .handshakeTimedOut: ("pullguard_site_tls_handshakes_total", [("result", "timed_out")])
        case .handshakeAbandoned: ("pullguard_site_tls_handshakes_total", [("result", "abandoned")])
        case .requests1xx: Self.requests("1xx")
        case .requests2xx: Self.requests("2xx")
        case .requests3xx: Self.requests("3xx")
        case .requests4xx: Self.requests("4xx")
        case .requests5xx: Self.requests("5xx")
        case .upstreamConnectRefused: Self.upstream("connect_refused")
        case .upstreamConnectTimedOut: Self.upstream("connect_timed_out")
        case .upstreamConnectFailed: Self.upstream("connect_failed")
        case .upstreamResponseTimedOut: Self.upstream("response_timed_out")
        case .upstreamClosedBeforeResponse: Self.upstream("closed_before_response")
        case .upstreamUnexpectedSwitchingProtocols: Self.upstream("unexpected_switching_protocols")
        case .upstreamBusy: Self.upstream("upstream_busy")
        case .h2Requests1xx: Self.requests("1xx", protocol: "h2")
        case .h2Requests2xx: Self.requests("2xx", protocol: "h2")
        case .h2Requests3xx: Self.requests("3xx", protocol: "h2")
        case .h2Requests4xx: Self.requests("4xx", protocol: "h2")
        case .h2Requests5xx: Self.requests("5xx", protocol: "h2")
        case .upstreamProtocolError: Self.upstream("protocol_error")
        }
    }

    private static func requests(_ statusClass: String, protocol: String = "http/1.1") -> (name: String, labels: [(String, String)]) {
        ("pullguard_requests_total", [("status_class", statusClass), ("protocol", `protocol`)])
    }

    private static func upstream(_ kind: String) -> (name: String, labels: [(String, String)]) {
        ("pullguard_site_upstream_errors_total", [("kind", kind)])
    }
}
