/// The class a failed `pullguard-bench` connection is counted under; the
/// names are a contract (reports, JSON, scripts): `connect`, `tls_alert:<name>`,
/// `tls:<reason>`, `http_status:<code>`, `timeout`.
public struct BenchErrorClass: Hashable, Sendable, CustomStringConvertible {
    public let name: String

    private init(_ name: String) {
        self.name = name
    }

    public var description: String { name }

    /// Refused or reset before any TLS byte came back.
    public static let connect = BenchErrorClass("connect")
    /// The connection did not finish within `--timeout`.
    public static let timeout = BenchErrorClass("timeout")

    public static func httpStatus(_ code: Int) -> BenchErrorClass {
        BenchErrorClass("http_status:\(code)")
    }

    /// A TLS failure: the server's alert by name when it sent one.
    public static func tls(_ error: TLSClientError) -> BenchErrorClass {
        switch error {
        case .alertReceived(let alert): return BenchErrorClass("tls_alert:\(alert.name)")
        case .failed(let reason): return BenchErrorClass("tls:\(reason)")
        case .closedDuringHandshake: return BenchErrorClass("tls:closed_during_handshake")
        }
    }

    /// Anything else after the handshake (`closed_before_response`, a malformed response).
    public static func tls(reason: String) -> BenchErrorClass {
        BenchErrorClass("tls:\(reason)")
    }
}
