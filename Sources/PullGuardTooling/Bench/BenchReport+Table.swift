extension BenchReport {
    /// The human report on stdout: one aligned `name  value` line per figure.
    public func table() -> String {
        var rows: [(String, String)] = [
            ("mode", "\(mode.rawValue), HTTP/\(http)\(http == "2" ? " (\(streams) streams)" : ""), TLS \(tls), concurrency \(concurrency), threads \(threads)"),
            ("duration", "\(Self.fixed(durationSeconds, 2)) s"),
            ("connections/s", Self.fixed(connectionsPerSecond, 1)),
            ("requests/s", Self.fixed(requestsPerSecond, 1)),
            ("successful connections", "\(connectionsOK) (\(connectionsFailed) failed)"),
            ("successful requests", String(requestsOK)),
            ("ended early by the server", String(connectionsEndedByServer)),
            ("resumed share", "\(Self.fixed(resumedShare * 100, 1)) %"),
            ("latency " + (mode == .keepalive ? "per request" : "per connection"),
             "p50 \(Self.fixed(latencyMs.p50, 2)) ms, p90 \(Self.fixed(latencyMs.p90, 2)) ms, "
                + "p99 \(Self.fixed(latencyMs.p99, 2)) ms, max \(Self.fixed(latencyMs.max, 2)) ms"),
        ]
        if errors.isEmpty {
            rows.append(("errors", "none"))
        } else {
            for (name, count) in errors.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
                rows.append(("errors \(name)", String(count)))
            }
        }
        if let targetCPUSeconds {
            func withKernel(_ total: Double?, _ kernel: Double?) -> String {
                guard let total else { return "-" }
                return "\(Self.fixed(total, 0)) µs" + (kernel.map { " (kernel \(Self.fixed($0, 0)) µs)" } ?? "")
            }
            rows.append(("target CPU", "\(Self.fixed(targetCPUSeconds, 2)) s"
                + (targetKernelCPUSeconds.map { " (kernel \(Self.fixed($0, 2)) s)" } ?? "")))
            rows.append(("target CPU per connection", withKernel(targetCPUMicrosPerConnection, targetKernelCPUMicrosPerConnection)))
            rows.append(("target CPU per request", withKernel(targetCPUMicrosPerRequest, targetKernelCPUMicrosPerRequest)))
        }
        if let benchCPUMicrosPerConnection {
            rows.append(("bench CPU per connection", "\(Self.fixed(benchCPUMicrosPerConnection, 0)) µs"))
        }
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0 + String(repeating: " ", count: width - $0.0.count + 2) + $0.1 }.joined(separator: "\n")
    }

    /// `value` with `digits` decimals (progress and table), without Foundation's `String(format:)`.
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int64((abs(value) * scale).rounded())
        let sign = value < 0 && scaled != 0 ? "-" : ""
        let whole = scaled / Int64(scale)
        guard digits > 0 else { return sign + String(whole) }
        let fraction = String(scaled % Int64(scale))
        return sign + String(whole) + "." + String(repeating: "0", count: digits - fraction.count) + fraction
    }
}
