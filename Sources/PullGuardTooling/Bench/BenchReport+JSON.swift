extension BenchReport {
    /// Exactly one JSON object, keys in a fixed order; written by hand so absent
    /// values are an explicit `null` and no Foundation formatting is involved.
    public func json() -> String {
        var fields: [(String, String)] = [
            ("mode", Self.quoted(mode.rawValue)),
            ("http", Self.quoted(http)),
            ("streams", String(streams)),
            ("tls", Self.quoted(tls)),
            ("concurrency", String(concurrency)),
            ("threads", String(threads)),
            ("duration_s", Self.number(durationSeconds)),
            ("connections_ok", String(connectionsOK)),
            ("connections_failed", String(connectionsFailed)),
            ("requests_ok", String(requestsOK)),
            ("connections_ended_by_server", String(connectionsEndedByServer)),
            ("connections_per_s", Self.number(connectionsPerSecond)),
            ("requests_per_s", Self.number(requestsPerSecond)),
            ("resumed_share", Self.number(resumedShare)),
        ]
        let latency = [("p50", latencyMs.p50), ("p90", latencyMs.p90), ("p99", latencyMs.p99), ("max", latencyMs.max)]
        fields.append(("latency_ms", "{" + latency.map { "\"\($0.0)\":\(Self.number($0.1))" }.joined(separator: ",") + "}"))
        let errorFields = errors.sorted { $0.key < $1.key }.map { "\(Self.quoted($0.key)):\($0.value)" }
        fields.append(("errors", "{" + errorFields.joined(separator: ",") + "}"))
        fields.append(("target_cpu_us_per_connection", targetCPUMicrosPerConnection.map(Self.number) ?? "null"))
        fields.append(("target_cpu_us_per_request", targetCPUMicrosPerRequest.map(Self.number) ?? "null"))
        fields.append(("target_cpu_s", targetCPUSeconds.map(Self.number) ?? "null"))
        fields.append(("target_kernel_cpu_us_per_connection", targetKernelCPUMicrosPerConnection.map(Self.number) ?? "null"))
        fields.append(("target_kernel_cpu_us_per_request", targetKernelCPUMicrosPerRequest.map(Self.number) ?? "null"))
        fields.append(("target_kernel_cpu_s", targetKernelCPUSeconds.map(Self.number) ?? "null"))
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// Three decimals; non-finite values (nothing measured) as 0 so the output stays JSON.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 1000).rounded() / 1000
        if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int64(rounded)) }
        return String(rounded)
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
