import Foundation
import Testing
import PullGuardTestSupport

/// The real `pullguard-bench` binary against the real `pullguard`, loopback only,
/// bounded by `--connections`: one mode per test, plus a refused client.
@Suite(.serialized) struct BenchTests {
    /// Built next to `pullguard` (same products folder).
    static var benchBinary: String {
        if let explicit = ProcessInfo.processInfo.environment["PULLGUARD_BENCH_BINARY"] { return explicit }
        return URL(fileURLWithPath: PullGuardProcess.binary).deletingLastPathComponent()
            .appendingPathComponent("pullguard-bench").path
    }

    struct Run {
        var exitCode: Int32
        var json: [String: Any]
        var stderr: String
    }

    /// Runs the bench against the proxy with the test PKI; `client` names a `<name>.pem/.key` pair.
    func bench(_ scenario: ProxyScenario, client: String? = "client", _ extra: [String]) throws -> Run {
        var arguments = ["--url", "https://127.0.0.1:\(scenario.proxy.port)/", "--sni", "localhost",
                         "--cacert", ProxyScenario.file("root.pem"), "--json", "--timeout", "10"]
        if let client {
            arguments += ["--cert", ProxyScenario.file("\(client).pem"), "--key", ProxyScenario.file("\(client).key")]
        }
        let result = try CommandRunner.run(Self.benchBinary, arguments + extra, timeout: 120)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        let json = try #require(object as? [String: Any], "stdout: \(result.stdout)\nstderr: \(result.stderr)")
        return Run(exitCode: result.exitCode, json: json, stderr: result.stderr)
    }

    func number(_ run: Run, _ key: String) -> Double? {
        (run.json[key] as? NSNumber)?.doubleValue
    }

    @Test(arguments: ["full", "resume", "keepalive"])
    func modeRunsCleanAgainstPullGuard(mode: String) async throws {
        try await ProxyScenario.withSite { (scenario) async throws in
            let pid = scenario.proxy.process.processIdentifier
            var extra = ["--mode", mode, "--connections", "40", "--concurrency", "4", "--target-pid", "\(pid)"]
            if mode == "keepalive" { extra += ["--requests-per-connection", "5"] }
            let run = try bench(scenario, extra)
            #expect(run.exitCode == 0, "stderr: \(run.stderr)")
            #expect(run.json["mode"] as? String == mode)
            #expect(number(run, "connections_ok") == 40)
            #expect(number(run, "connections_failed") == 0)
            #expect((run.json["errors"] as? [String: Any])?.isEmpty == true, "errors: \(String(describing: run.json["errors"]))")
            #expect(number(run, "requests_ok") == (mode == "keepalive" ? 200 : 40))
            let cpu = try #require(number(run, "target_cpu_us_per_connection"))
            let kernel = try #require(number(run, "target_kernel_cpu_us_per_connection"))
            #expect(cpu > 0)
            #expect(kernel >= 0 && kernel <= cpu, "kernel \(kernel) µs of \(cpu) µs")
            if mode == "resume" {
                #expect((number(run, "resumed_share") ?? 0) > 0.9)
            }
        }
    }

    /// TLS 1.3: the handshake completes on the client, then the proxy's refusal arrives
    /// as an alert on the first read; every connection fails and the exit code is 1.
    @Test func withoutClientCertificateEveryConnectionGetsCertificateRequired() async throws {
        try await ProxyScenario.withSite { (scenario) async throws in
            let run = try bench(scenario, client: nil, ["--tls", "1.3", "--connections", "8", "--concurrency", "2"])
            #expect(run.exitCode == 1)
            #expect(number(run, "connections_ok") == 0)
            #expect((run.json["errors"] as? [String: Any])?["tls_alert:certificate_required"] as? Int == 8)
            #expect(scenario.upstream.requests.isEmpty)
        }
    }
}
