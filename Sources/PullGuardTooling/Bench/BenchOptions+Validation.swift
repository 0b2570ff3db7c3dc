import PullGuardOpenSSL
extension BenchOptions {
    /// The default run length when neither `--duration` nor `--connections` is given.
    public static let defaultDurationSeconds = 10.0
    public static let defaultRequestsPerConnection = 100
    /// `--http 2` without `--streams`: ten streams in flight, the comparison scenario
    /// (and well under the 100–128 concurrent streams servers allow by default).
    public static let defaultHTTP2Streams = 10
    /// Upper bound for `--streams`: nghttp2 would queue streams beyond the server's
    /// MAX_CONCURRENT_STREAMS anyway; a larger number is a typo.
    public static let maxHTTP2Streams = 1000

    /// Checks every flag and combination; the first problem is thrown, naming its flag.
    public init(validating flags: BenchFlags) throws(BenchOptionError) {
        guard let rawURL = flags.url else { throw BenchOptionError("--url", "is required (https://host:port/path)") }
        url = try BenchURL(parsing: rawURL)
        switch (flags.cert, flags.key) {
        case (nil, nil), (.some, .some): break
        case (.some, nil): throw BenchOptionError("--key", "is required with --cert")
        case (nil, .some): throw BenchOptionError("--cert", "is required with --key")
        }
        certificateFile = flags.cert
        keyFile = flags.key
        switch (flags.cacert, flags.insecure) {
        case (.some, true): throw BenchOptionError("--insecure", "cannot be combined with --cacert")
        case (.some(let file), false): trust = .caFile(file)
        case (nil, true): trust = .insecure
        case (nil, false): throw BenchOptionError("--cacert", "give --cacert FILE to verify the server, or --insecure")
        }
        if let sni = flags.sni, sni.isEmpty || sni.contains(where: { $0 == " " || $0 == "/" }) {
            throw BenchOptionError("--sni", "'\(sni)' is not a host name")
        }
        serverName = flags.sni ?? (url.hostIsIPAddress ? nil : url.host)
        let name = serverName ?? url.host
        let bracketed = name.contains(":") ? "[\(name)]" : name
        hostHeader = url.port == 443 ? bracketed : "\(bracketed):\(url.port)"

        guard flags.concurrency >= 1 else { throw BenchOptionError("--concurrency", "must be at least 1") }
        guard flags.threads >= 1 else { throw BenchOptionError("--threads", "must be at least 1") }
        guard flags.threads <= flags.concurrency else {
            throw BenchOptionError("--threads", "\(flags.threads) threads would leave some without a connection: at most --concurrency (\(flags.concurrency))")
        }
        concurrency = flags.concurrency
        threads = flags.threads
        switch (flags.duration, flags.connections) {
        case (.some, .some): throw BenchOptionError("--duration", "cannot be combined with --connections")
        case (.some(let seconds), nil):
            guard seconds > 0, seconds.isFinite else { throw BenchOptionError("--duration", "must be a positive number of seconds") }
            stop = .duration(seconds: seconds)
        case (nil, .some(let count)):
            guard count >= 1 else { throw BenchOptionError("--connections", "must be at least 1") }
            stop = .connections(count)
        case (nil, nil): stop = .duration(seconds: Self.defaultDurationSeconds)
        }
        if let version = flags.tls {
            guard let parsed = TLSClientSettings.Version(rawValue: version) else {
                throw BenchOptionError("--tls", "'\(version)' is not 1.2 or 1.3")
            }
            tls = parsed
        } else {
            tls = nil
        }
        if let groups = flags.groups, groups.isEmpty || groups.contains(" ") {
            throw BenchOptionError("--groups", "'\(groups)' is not a group list (X25519, P-256, X25519:P-256)")
        }
        groups = flags.groups.map { String($0.map { $0 == "," ? ":" : $0 }) }
        switch flags.http {
        case "1.1": http = .http1_1
        case "2": http = .http2
        default: throw BenchOptionError("--http", "'\(flags.http)' is not 1.1 or 2")
        }
        let modeName = flags.mode ?? (http == .http2 ? "keepalive" : "full")
        guard let mode = Mode(rawValue: modeName) else {
            throw BenchOptionError("--mode", "'\(modeName)' is not full, resume or keepalive")
        }
        if http == .http2 && mode != .keepalive {
            throw BenchOptionError("--mode", "'\(modeName)' is one request per connection, which --http 2 does not measure; "
                                   + "--http 2 runs keepalive (--requests-per-connection over --streams concurrent streams)")
        }
        self.mode = mode
        if let count = flags.requestsPerConnection {
            guard mode == .keepalive else { throw BenchOptionError("--requests-per-connection", "applies to --mode keepalive and --http 2 only") }
            guard count >= 1 else { throw BenchOptionError("--requests-per-connection", "must be at least 1") }
        }
        requestsPerConnection = mode == .keepalive ? flags.requestsPerConnection ?? Self.defaultRequestsPerConnection : 1
        switch (http, flags.streams) {
        case (.http1_1, .some):
            throw BenchOptionError("--streams", "applies to --http 2 only (HTTP/1.1 sends one request at a time)")
        case (.http1_1, nil):
            streams = 1
        case (.http2, let count):
            let count = count ?? min(Self.defaultHTTP2Streams, requestsPerConnection)
            guard count >= 1 else { throw BenchOptionError("--streams", "must be at least 1") }
            guard count <= requestsPerConnection else {
                throw BenchOptionError("--streams", "\(count) streams would never all be open: at most --requests-per-connection (\(requestsPerConnection))")
            }
            guard count <= Self.maxHTTP2Streams else {
                throw BenchOptionError("--streams", "\(count) is more than \(Self.maxHTTP2Streams) (servers allow 100 to 128 by default)")
            }
            streams = count
        }
        guard (100...599).contains(flags.expectStatus) else {
            throw BenchOptionError("--expect-status", "\(flags.expectStatus) is not an HTTP status (100-599)")
        }
        expectStatus = flags.expectStatus
        guard flags.timeout > 0, flags.timeout.isFinite else { throw BenchOptionError("--timeout", "must be a positive number of seconds") }
        timeoutSeconds = flags.timeout
        json = flags.json
        if let bad = flags.targetPIDs.first(where: { $0 <= 0 || $0 > Int(Int32.max) }) {
            throw BenchOptionError("--target-pid", "\(bad) is not a process id")
        }
        targetPIDs = flags.targetPIDs.map { Int32($0) }
        guard flags.warmup >= 0, flags.warmup.isFinite else { throw BenchOptionError("--warmup", "must be zero or a positive number of seconds") }
        warmupSeconds = flags.warmup
    }
}
