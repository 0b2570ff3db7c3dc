/// The result of one `pullguard-bench` run: what the table and `--json` show,
/// and the exit code. Rates and per-connection CPU are derived here, once.
public struct BenchReport: Sendable, Equatable {
    public struct Latency: Sendable, Equatable {
        public var p50: Double
        public var p90: Double
        public var p99: Double
        public var max: Double

        public init(p50: Double, p90: Double, p99: Double, max: Double) {
            self.p50 = p50
            self.p90 = p90
            self.p99 = p99
            self.max = max
        }
    }

    public var mode: BenchOptions.Mode
    /// `1.1` or `2` (`--http`).
    public var http: String
    /// Concurrent streams per connection: `--streams` with HTTP/2, 1 with HTTP/1.1.
    public var streams: Int
    /// `1.2`, `1.3` or `negotiate`.
    public var tls: String
    public var concurrency: Int
    public var threads: Int
    /// Measured time, warm-up excluded.
    public var durationSeconds: Double
    public var connectionsOK: Int
    public var connectionsFailed: Int
    public var requestsOK: Int
    /// Successful connections that resumed a session.
    public var connectionsResumed: Int
    /// Keep-alive connections the server ended before their planned requests were done
    /// (`Connection: close`, or closed idle between requests); counted in `connectionsOK`.
    public var connectionsEndedByServer: Int
    /// Milliseconds: per connection (connect to last response) in full and resume
    /// mode, per request in keepalive mode.
    public var latencyMs: Latency
    public var errors: [String: Int]
    /// utime+stime of the `--target-pid` processes over the measured time; nil without one.
    public var targetCPUSeconds: Double?
    /// This process's own CPU over the measured time (table only).
    public var benchCPUSeconds: Double?
    /// The kernel (system) part of `targetCPUSeconds`: socket work that every server
    /// on the machine pays alike, reported so targets can be checked against it.
    public var targetKernelCPUSeconds: Double?

    public init(mode: BenchOptions.Mode, tls: String, concurrency: Int, threads: Int, durationSeconds: Double,
                connectionsOK: Int, connectionsFailed: Int, requestsOK: Int, connectionsResumed: Int,
                connectionsEndedByServer: Int = 0, latencyMs: Latency, errors: [String: Int], targetCPUSeconds: Double?, benchCPUSeconds: Double?,
                targetKernelCPUSeconds: Double? = nil, http: String = "1.1", streams: Int = 1) {
        self.mode = mode
        self.http = http
        self.streams = streams
        self.tls = tls
        self.concurrency = concurrency
        self.threads = threads
        self.durationSeconds = durationSeconds
        self.connectionsOK = connectionsOK
        self.connectionsFailed = connectionsFailed
        self.requestsOK = requestsOK
        self.connectionsResumed = connectionsResumed
        self.connectionsEndedByServer = connectionsEndedByServer
        self.latencyMs = latencyMs
        self.errors = errors
        self.targetCPUSeconds = targetCPUSeconds
        self.benchCPUSeconds = benchCPUSeconds
        self.targetKernelCPUSeconds = targetKernelCPUSeconds
    }

    public var connectionsPerSecond: Double { rate(connectionsOK) }
    public var requestsPerSecond: Double { rate(requestsOK) }
    public var resumedShare: Double { connectionsOK == 0 ? 0 : Double(connectionsResumed) / Double(connectionsOK) }

    /// The target's CPU per successful connection: the figure that survives a noisy machine.
    public var targetCPUMicrosPerConnection: Double? { perUnit(targetCPUSeconds, connectionsOK) }
    public var targetCPUMicrosPerRequest: Double? { perUnit(targetCPUSeconds, requestsOK) }
    public var targetKernelCPUMicrosPerConnection: Double? { perUnit(targetKernelCPUSeconds, connectionsOK) }
    public var targetKernelCPUMicrosPerRequest: Double? { perUnit(targetKernelCPUSeconds, requestsOK) }
    public var benchCPUMicrosPerConnection: Double? { perUnit(benchCPUSeconds, connectionsOK) }

    /// 0: at least one success and no errors; 1: errors, or nothing succeeded.
    public var exitCode: Int32 { connectionsOK > 0 && errors.isEmpty ? 0 : 1 }

    private func rate(_ count: Int) -> Double {
        durationSeconds > 0 ? Double(count) / durationSeconds : 0
    }

    private func perUnit(_ seconds: Double?, _ count: Int) -> Double? {
        guard let seconds, count > 0 else { return nil }
        return seconds * 1_000_000 / Double(count)
    }
}
