/// `access_log:`: one JSON line per request (HTTP/1.1 request or HTTP/2 stream) and one
/// per refused handshake.
public struct AccessLogSettings: Sendable, Hashable {
    public enum Destination: Sendable, Hashable, CustomStringConvertible {
        case off, stdout, stderr
        /// An absolute path, opened for appending (created 0640 when missing).
        case file(String)

        public var description: String {
            switch self {
            case .off: "off"
            case .stdout: "stdout"
            case .stderr: "stderr"
            case .file(let path): path
            }
        }
    }

    /// Only JSON today; the key exists so that another format is an addition, not a change.
    public enum Format: String, Sendable, Hashable {
        case json
    }

    public var destination: Destination
    public var format: Format
    /// Refused-handshake lines each worker writes per second at most (a burst of as many
    /// is allowed): a scanner or a flood of certificate-less handshakes must not fill a
    /// disk. The lines it holds back are counted and the next line says how many.
    public var refusedHandshakesPerSecond: Int

    public static let defaultRefusedHandshakesPerSecond = 10

    public init(destination: Destination = .off, format: Format = .json,
                refusedHandshakesPerSecond: Int = defaultRefusedHandshakesPerSecond) {
        self.destination = destination
        self.format = format
        self.refusedHandshakesPerSecond = refusedHandshakesPerSecond
    }

    public var isOn: Bool { destination != .off }
}

/// How each request is given an id (`headers.request_id`, `headers.trust_request_id`):
/// the header it goes upstream in and the access log's `request_id`.
public struct RequestIDSettings: Sendable, Hashable {
    /// The header sent upstream; nil sends none (the access log still has its id).
    public var header: String?
    /// Keep a well-formed id the client sent, when its certificate verified. Off by default:
    /// with the Cloudflare CA any Cloudflare customer's visitor could choose it.
    public var trustClient: Bool

    public static let defaultHeader = "X-Request-ID"

    public init(header: String? = defaultHeader, trustClient: Bool = false) {
        self.header = header
        self.trustClient = trustClient
    }
}
