import Foundation
import PullGuardTestSupport
import Testing

/// SIGTERM through the binary: requests in flight finish, new connections are refused,
/// the process exits 0.
@Suite struct DrainTests {
    @Test func slowRequestFinishesWhileNewConnectionsAreRefused() async throws {
        let config = ReloadTests.config(trust: ReloadTests.both, extra: "drain_timeout: 10s")
        try await ReloadScenario.withConfig(config) { (scenario: ReloadScenario) async throws in
            // Long enough that the drain is still waiting for it when /readyz is asked, however loaded the machine.
            let result = try await ReloadTests.heldConnection(scenario, mode: "inflight", slowMilliseconds: 8000) { () async throws in
                try await Task.sleep(for: .milliseconds(200))
                scenario.proxy.signal(SIGTERM)
                #expect(await scenario.proxy.eventuallyLogs("draining"))
                let ready = try CommandRunner.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}",
                                                           "http://127.0.0.1:\(scenario.proxy.adminPort ?? 0)/readyz"])
                #expect(ready.stdout == "503", "/readyz while draining")
                let refused = try scenario.curl(client: "client")
                #expect(refused.status == nil, "a new connection was accepted while draining")
                #expect(refused.exitCode == 7, "curl: \(refused.stderr)")
            }
            #expect(result["status"] == .number(200), "the request in flight did not finish")
            #expect(result["connection"] == .array([.string("close")]), "\(scenario.proxy.log)")
            #expect(await scenario.proxy.exitStatus(within: .seconds(10)) == 0)
        }
    }

    @Test func drainTimeoutClosesWhatRemains() async throws {
        let config = ReloadTests.config(trust: ReloadTests.both, extra: "drain_timeout: 300ms")
        try await ReloadScenario.withConfig(config) { (scenario: ReloadScenario) async throws in
            let result = try await ReloadTests.heldConnection(scenario, mode: "idle-forever") { () async throws in
                scenario.proxy.signal(SIGTERM)
                // Well before the default drain_timeout (30 s): the configured 300 ms applied.
                #expect(await scenario.proxy.exitStatus(within: .seconds(10)) == 0)
            }
            #expect(result["closed"] == .bool(true))
        }
    }

    @Test func secondSignalClosesEverythingAtOnce() async throws {
        let config = ReloadTests.config(trust: ReloadTests.both, extra: "drain_timeout: 60s")
        try await ReloadScenario.withConfig(config) { (scenario: ReloadScenario) async throws in
            let result = try await ReloadTests.heldConnection(scenario, mode: "idle-forever") { () async throws in
                scenario.proxy.signal(SIGTERM)
                #expect(await scenario.proxy.eventuallyLogs("draining"))
                scenario.proxy.signal(SIGINT)
                #expect(await scenario.proxy.exitStatus(within: .seconds(10)) == 0)
            }
            #expect(result["closed"] == .bool(true))
        }
    }
}
