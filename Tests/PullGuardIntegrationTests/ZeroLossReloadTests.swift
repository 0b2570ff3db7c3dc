import Foundation
import NIOConcurrencyHelpers
import PullGuardTestSupport
import Testing

/// Issue 10's promise, through the binaries: with `pullguard-bench` driving full
/// handshakes and keep-alive requests at full speed, 50 reloads (two valid configurations
/// in turn, an invalid one between them) cost no connection and no request.
@Suite(.serialized) struct ZeroLossReloadTests {
    static let valid = [
        ReloadTests.config(trust: ReloadTests.both),
        // Different client-auth settings (a CRL): sessions of the other generation fall back
        // to full handshakes, which the bench's client passes.
        ReloadTests.config(trust: ReloadTests.both, extra: "timeouts: {client_idle: 20s}")
            .replacingOccurrences(of: "client_auth: {trust: ", with: "client_auth: {crl: [{PKI}/root.crl], trust: "),
    ]
    static let invalid = ReloadTests.config(trust: "[{PKI}/no-such-ca.pem]")

    static func bench(port: Int, _ extra: [String]) -> [String] {
        ["--url", "https://127.0.0.1:\(port)/", "--sni", "localhost", "--cacert", ProxyScenario.file("root.pem"),
         "--cert", ProxyScenario.file("client.pem"), "--key", ProxyScenario.file("client.key"),
         "--json", "--timeout", "10", "--warmup", "0", "--threads", "1", "--concurrency", "4"] + extra
    }

    @Test func fiftyReloadsUnderLoadLoseNothing() async throws {
        try await ReloadScenario.withConfig(Self.valid[0]) { (scenario: ReloadScenario) async throws in
            let port = scenario.proxy.port
            let modes = [["--mode", "full"], ["--mode", "keepalive", "--requests-per-connection", "50"]]
            // Each bench runs until the reloads are done and it is told to stop (SIGINT ends
            // its run early, with a report), so every reload happens under load however
            // slow the machine is; --duration only bounds a test that went wrong.
            let pids = NIOLockedValueBox<[Int32]>([])
            let benches = modes.map { mode in
                Task {
                    try await OffPool.run {
                        try CommandRunner.run(BenchTests.benchBinary, Self.bench(port: port, mode + ["--duration", "120"]),
                                              timeout: 150, started: { pid in pids.withLockedValue { $0.append(pid) } })
                    }
                }
            }
            try await Task.sleep(for: .seconds(1))
            let started = ContinuousClock.now
            var applied = 0
            for round in 0..<50 {
                let yaml = round % 2 == 1 ? Self.invalid : Self.valid[(round / 2 + 1) % 2]
                let ok = try await scenario.reload(yaml)
                #expect(ok == (round % 2 == 0), "reload \(round)")
                if ok { applied += 1 }
            }
            let reloading = ContinuousClock.now - started
            try await Task.sleep(for: .milliseconds(500))
            for pid in pids.withLockedValue({ $0 }) { kill(pid, SIGINT) }
            for (mode, bench) in zip(modes, benches) {
                let result = try await bench.value
                let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
                                        "\(mode): \(result.stdout) \(result.stderr)")
                let failed = (json["connections_failed"] as? NSNumber)?.intValue
                let ok = (json["connections_ok"] as? NSNumber)?.intValue ?? 0
                let requests = (json["requests_ok"] as? NSNumber)?.intValue ?? 0
                let ended = (json["connections_ended_by_server"] as? NSNumber)?.intValue ?? 0
                #expect(failed == 0, "\(mode): \(String(describing: json["errors"]))")
                #expect((json["errors"] as? [String: Any])?.isEmpty == true, "\(mode): \(String(describing: json["errors"]))")
                #expect(ok > 0)
                print("zero-loss reload \(mode.joined(separator: " ")): \(ok) connections, \(requests) requests, "
                      + "\(ended) ended early by the server, \(failed ?? -1) failed; 50 reloads in \(reloading)")
            }
            #expect(applied == 25)
            #expect(scenario.proxy.log.contains("generation=26"))
        }
    }
}
