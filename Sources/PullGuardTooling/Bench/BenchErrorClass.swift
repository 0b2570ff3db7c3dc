/// The class a failed `pullguard-bench` connection is counted under; the
/// names are a contract (reports, JSON, scripts): `connect`, `tls_alert:<name>`,
/// `tls:<reason>`, `http_status:<code>`, `timeout`, and for `--http 2`: `h2_alpn:<selected>`,
/// `h2_rst:<code>`, `h2_stream_error:<code>`, `h2_goaway:<code>`, `h2:<reason>` (codes by their RFC 9113 §7 name, lowercase).
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

    /// `--http 2`: the handshake completed but the server did not select `h2` by ALPN
    /// (`http/1.1`, or `none` when it selected nothing).
    public static func h2NotNegotiated(selected: String?) -> BenchErrorClass {
        BenchErrorClass("h2_alpn:\(selected ?? "none")")
    }

    /// The server reset a processed stream (RST_STREAM with this code).
    public static func h2Reset(_ errorCode: UInt32) -> BenchErrorClass {
        BenchErrorClass("h2_rst:\(http2ErrorName(errorCode))")
    }

    /// nghttp2 reset a stream itself because the server's response broke RFC 9113 (a
    /// malformed header block, a missing `:status`, a flow-control violation).
    public static func h2StreamError(_ errorCode: UInt32) -> BenchErrorClass {
        BenchErrorClass("h2_stream_error:\(http2ErrorName(errorCode))")
    }

    /// The server ended the connection with a GOAWAY carrying an error code.
    public static func h2GoAway(_ errorCode: UInt32) -> BenchErrorClass {
        BenchErrorClass("h2_goaway:\(http2ErrorName(errorCode))")
    }

    /// Any other HTTP/2 failure: nghttp2 rejected the server's bytes, a stream ended without
    /// a `:status`, a request could not be sent.
    public static func h2(reason: String) -> BenchErrorClass {
        BenchErrorClass("h2:\(reason)")
    }

    /// RFC 9113 §7 error code names, lowercase; unknown codes as `0x<hex>`.
    static func http2ErrorName(_ code: UInt32) -> String {
        let names = ["no_error", "protocol_error", "internal_error", "flow_control_error", "settings_timeout",
                     "stream_closed", "frame_size_error", "refused_stream", "cancel", "compression_error",
                     "connect_error", "enhance_your_calm", "inadequate_security", "http_1_1_required"]
        return code < names.count ? names[Int(code)] : "0x" + String(code, radix: 16)
    }
}
