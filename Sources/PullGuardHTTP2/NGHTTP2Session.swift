internal import CNGHTTP2

/// The libnghttp2 PullGuard runs on: the version loaded and the one compiled against
/// (for the version report and the link test), and the ALPN token. The sessions are
/// `NGHTTP2ServerSession` and `NGHTTP2ClientSession`.
public enum NGHTTP2Library {
    /// The version of the libnghttp2 loaded at run time, e.g. `1.52.0`.
    public static var runtimeVersion: String {
        guard let info = nghttp2_version(0), let text = info.pointee.version_str else { return "" }
        return String(cString: text)
    }

    /// The version of the headers PullGuard was compiled against.
    public static var headerVersion: String {
        String(cString: CPullGuardNGHTTP2_version_string())
    }

    /// The ALPN token for HTTP/2 over TLS (`h2`).
    public static var alpnToken: String {
        String(cString: CPullGuardNGHTTP2_proto_version_id())
    }
}
