import PullGuardOpenSSL
import PullGuardCore
/// What one `pullguard-bench` run does, validated once from its flags
/// (`BenchFlags`). Lives in the library so the rules are tested without
/// starting the binary; the executable only parses flags and runs.
public struct BenchOptions: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        /// A new full handshake per connection, one request each.
        case full
        /// Each connection offers the last session its worker received; one request each.
        case resume
        /// `requestsPerConnection` requests per connection.
        case keepalive
    }

    /// The HTTP version spoken after the handshake (`--http`).
    public enum HTTPVersion: String, Sendable, CaseIterable {
        case http1_1 = "1.1"
        /// ALPN offers `h2` then `http/1.1`; a server that does not select `h2` fails the
        /// connection as `h2_alpn:<selected>`. Always keep-alive: `requestsPerConnection`
        /// requests over `streams` concurrent streams.
        case http2 = "2"
    }

    /// When the run ends (after the warm-up).
    public enum Stop: Sendable, Equatable {
        case duration(seconds: Double)
        /// After this many finished connections, successful or failed.
        case connections(Int)
    }

    public enum Trust: Sendable, Equatable {
        /// Verify the server against the roots in this PEM file.
        case caFile(String)
        /// Skip server verification (and its CPU cost).
        case insecure
    }

    public var url: BenchURL
    public var certificateFile: String?
    public var keyFile: String?
    public var trust: Trust
    /// SNI to send; nil sends none (an IP host without `--sni`).
    public var serverName: String?
    /// `Host` header: the SNI name or URL host, with the port unless it is 443.
    public var hostHeader: String
    public var concurrency: Int
    public var threads: Int
    public var stop: Stop
    /// nil negotiates TLS 1.2–1.3.
    public var tls: TLSClientSettings.Version?
    public var groups: String?
    public var mode: Mode
    /// 1 in full and resume mode.
    public var requestsPerConnection: Int
    public var http: HTTPVersion
    /// Concurrent streams per connection with `--http 2`; 1 for HTTP/1.1 (one request at a time).
    public var streams: Int
    public var expectStatus: Int
    public var timeoutSeconds: Double
    public var json: Bool
    public var targetPIDs: [Int32]
    public var warmupSeconds: Double

    /// The client-role TLS settings for this run (files already read by the caller).
    public func tlsSettings(identity: ServerIdentitySource?, trustRoots: PEMSource?) -> TLSClientSettings {
        TLSClientSettings(identity: identity, trustRoots: trustRoots, verifyServer: trust != .insecure,
                          version: tls, groups: groups, alpn: alpn)
    }

    /// ALPN offered: `h2` first for `--http 2` (with `http/1.1` after it, so a server without
    /// HTTP/2 completes the handshake and the failure is reported as `h2_alpn:http/1.1`).
    public var alpn: [String] {
        http == .http2 ? ["h2", "http/1.1"] : ["http/1.1"]
    }

    /// `1.2`, `1.3` or `negotiate`, as the report names it.
    public var tlsLabel: String { tls?.rawValue ?? "negotiate" }
}

/// A rejected flag: `flag` is what the user typed (`--concurrency`), so the message can name it.
public struct BenchOptionError: Error, Equatable, CustomStringConvertible {
    public var flag: String
    public var message: String

    public init(_ flag: String, _ message: String) {
        self.flag = flag
        self.message = message
    }

    public var description: String { "\(flag): \(message)" }
}

/// The flags as typed, before validation: what `pullguard-bench`'s argument parser fills in.
public struct BenchFlags: Sendable {
    public var url: String?
    public var cert: String?
    public var key: String?
    public var cacert: String?
    public var insecure = false
    public var sni: String?
    public var concurrency = 16
    public var duration: Double?
    public var connections: Int?
    public var threads = 1
    public var tls: String?
    public var groups: String?
    /// nil: `full` for `--http 1.1`, `keepalive` for `--http 2`.
    public var mode: String?
    public var requestsPerConnection: Int?
    /// nil: `defaultHTTP2Streams` with `--http 2`; refused with `--http 1.1`.
    public var streams: Int?
    public var http = "1.1"
    public var expectStatus = 200
    public var timeout: Double = 10
    public var json = false
    public var targetPIDs: [Int] = []
    public var warmup: Double = 0

    public init() {}
}
