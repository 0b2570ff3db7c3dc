import Foundation
import Testing
@testable import PullGuardTooling
@testable import PullGuardOpenSSL

/// The report's contract: the JSON object's keys and types, derived rates and
/// CPU figures, error class names, and the exit code.
@Suite struct BenchReportTests {
    func report(ok: Int = 40, failed: Int = 0, requests: Int = 40, resumed: Int = 0, errors: [String: Int] = [:],
                targetCPU: Double? = nil, targetKernelCPU: Double? = nil) -> BenchReport {
        BenchReport(mode: .full, tls: "1.3", concurrency: 4, threads: 1, durationSeconds: 2, connectionsOK: ok,
                    connectionsFailed: failed, requestsOK: requests, connectionsResumed: resumed,
                    latencyMs: .init(p50: 1.5, p90: 2.25, p99: 3, max: 4.125), errors: errors,
                    targetCPUSeconds: targetCPU, benchCPUSeconds: 0.05, targetKernelCPUSeconds: targetKernelCPU)
    }

    func object(_ json: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    func number(_ json: [String: Any], _ key: String) -> Double? {
        (json[key] as? NSNumber)?.doubleValue
    }

    static let keys: Set<String> = [
        "mode", "http", "streams", "tls", "concurrency", "threads", "duration_s", "connections_ok", "connections_failed", "requests_ok",
        "connections_ended_by_server",
        "connections_per_s", "requests_per_s", "resumed_share", "latency_ms", "errors",
        "target_cpu_us_per_connection", "target_cpu_us_per_request", "target_cpu_s",
        "target_kernel_cpu_us_per_connection", "target_kernel_cpu_us_per_request", "target_kernel_cpu_s",
    ]

    @Test func jsonHasExactlyTheContractKeys() throws {
        let json = try object(report(resumed: 36, targetCPU: 0.08, targetKernelCPU: 0.02).json())
        #expect(Set(json.keys) == Self.keys)
        #expect(json["mode"] as? String == "full")
        #expect(json["http"] as? String == "1.1")
        #expect(json["streams"] as? Int == 1)
        #expect(json["tls"] as? String == "1.3")
        #expect(json["connections_ok"] as? Int == 40)
        #expect(number(json, "connections_per_s") == 20)
        #expect(number(json, "resumed_share") == 0.9)
        let latency = try #require(json["latency_ms"] as? [String: Any])
        #expect(number(latency, "p50") == 1.5)
        #expect(number(latency, "p90") == 2.25)
        #expect(number(latency, "p99") == 3)
        #expect(number(latency, "max") == 4.125)
        #expect((json["errors"] as? [String: Int])?.isEmpty == true)
        #expect(number(json, "target_cpu_us_per_connection") == 2000)
        #expect(number(json, "target_cpu_us_per_request") == 2000)
        #expect(number(json, "target_cpu_s") == 0.08)
        #expect(number(json, "target_kernel_cpu_us_per_connection") == 500)
        #expect(number(json, "target_kernel_cpu_us_per_request") == 500)
        #expect(number(json, "target_kernel_cpu_s") == 0.02)
    }

    @Test func withoutTargetPIDTheCPUFiguresAreNull() throws {
        let json = try object(report().json())
        #expect(Set(json.keys) == Self.keys)
        #expect(json["target_cpu_us_per_connection"] is NSNull)
        #expect(json["target_cpu_us_per_request"] is NSNull)
        #expect(json["target_cpu_s"] is NSNull)
        #expect(json["target_kernel_cpu_us_per_connection"] is NSNull)
        #expect(json["target_kernel_cpu_s"] is NSNull)
    }

    @Test func errorsAreCountedByClass() throws {
        let json = try object(report(ok: 0, failed: 3, requests: 0, errors: ["tls_alert:certificate_required": 3]).json())
        #expect(json["errors"] as? [String: Int] == ["tls_alert:certificate_required": 3])
        #expect(number(json, "resumed_share") == 0)
    }

    @Test func exitCode() {
        #expect(report().exitCode == 0)
        #expect(report(failed: 1, errors: ["timeout": 1]).exitCode == 1)
        #expect(report(ok: 0, requests: 0).exitCode == 1)
    }

    @Test func tableNamesEveryFigure() {
        let table = report(failed: 2, errors: ["connect": 2], targetCPU: 0.08, targetKernelCPU: 0.02).table()
        for needle in ["connections/s", "20.0", "requests/s", "40 (2 failed)", "resumed share",
                       "p50 1.50 ms", "p99 3.00 ms", "errors connect", "2000 µs (kernel 500 µs)"] {
            #expect(table.contains(needle), "missing \(needle) in\n\(table)")
        }
    }

    @Test func jsonEscapesStrings() {
        #expect(BenchReport.quoted("a\"b\\c\n\u{1}") == "\"a\\\"b\\\\c\\n\\u0001\"")
        #expect(BenchReport.number(1.23456) == "1.235")
        #expect(BenchReport.number(.nan) == "0")
        #expect(BenchReport.fixed(2.005, 1) == "2.0")
        #expect(BenchReport.fixed(-1.25, 1) == "-1.3")
    }

    @Test func errorClassNames() {
        #expect(BenchErrorClass.connect.name == "connect")
        #expect(BenchErrorClass.timeout.name == "timeout")
        #expect(BenchErrorClass.httpStatus(421).name == "http_status:421")
        #expect(BenchErrorClass.tls(.alertReceived(.unknownCA)).name == "tls_alert:unknown_ca")
        #expect(BenchErrorClass.tls(.closedDuringHandshake).name == "tls:closed_during_handshake")
        let error = OpenSSLError(operation: "client TLS", entries: [OpenSSLErrorEntry(.certificateVerifyFailed, data: "x")])
        #expect(TLSClientError(error) == .failed(reason: "certificate_verify_failed"))
        var alerted = error
        alerted.entries.append(OpenSSLErrorEntry(.alertReceived(.badCertificate)))
        #expect(BenchErrorClass.tls(TLSClientError(alerted)).name == "tls_alert:bad_certificate")
    }

    /// /proc/PID/stat: utime and stime are fields 14 and 15, counted after the last `)`
    /// of the command name, which may itself hold spaces and parentheses.
    @Test func procStatIsSplitIntoUserAndKernelTime() throws {
        let stat = "4242 (pull guard) (x)) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 75 0 0 20 0 3 0 100 0 0"
        let time = try #require(ProcessCPUTime.parse(stat: stat, ticksPerSecond: 100))
        #expect(time.userSeconds == 2.5)
        #expect(time.kernelSeconds == 0.75)
        #expect(time.totalSeconds == 3.25)
        let later = ProcessCPUTime(userSeconds: 3, kernelSeconds: 1)
        #expect(later - time == ProcessCPUTime(userSeconds: 0.5, kernelSeconds: 0.25))
        #expect(ProcessCPUTime.parse(stat: "4242 (short) S 1 2 3", ticksPerSecond: 100) == nil)
        #expect(ProcessCPUTime.parse(stat: "no parenthesis at all", ticksPerSecond: 100) == nil)
        #expect(ProcessCPUTime.parse(stat: stat.replacingOccurrences(of: " 250 ", with: " x "), ticksPerSecond: 100) == nil)
    }
}
