import Foundation
import NIOCore
import NIOPosix
import Testing
import PullGuardTestSupport

/// `limits:` and `timeouts.handshake` through the real binary, with clients that connect
/// and never send a byte (what anyone can do to an origin's address without a certificate).
@Suite(.serialized) struct ConnectionLimitTests {
    static func config(_ extra: String) -> String {
        """
        listen: 127.0.0.1:0
        workers: 1
        log_level: debug
        \(extra)
        sites:
          - name: a
            certificates: [{cert: {PKI}/server.pem, key: {PKI}/server.key}]
            upstream: {UPSTREAM}
            client_auth: {trust: [{PKI}/root.pem]}
        """
    }

    /// TCP connections that stay silent until closed.
    func silentConnections(_ count: Int, port: Int) async throws -> [Channel] {
        var channels: [Channel] = []
        for _ in 0..<count {
            channels.append(try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port).get())
        }
        // Let the proxy accept them before the next client arrives.
        try await Task.sleep(for: .milliseconds(300))
        return channels
    }

    /// The silent connections must outlive the test's own pauses: with the full suite
    /// running, a starved test took 20 s, the default 10 s handshake timeout closed them,
    /// and the client they should have kept out got in.
    func refusedThenAdmitted(limits: String, reason: String) async throws {
        try await ProxyScenario.withConfig(Self.config("\(limits)\ntimeouts: {handshake: 120s}")) { scenario in
            let silent = try await silentConnections(2, port: scenario.proxy.port)
            let refused = try scenario.curl(client: "client", tls: "1.3")
            #expect(refused.status == nil)
            #expect(await scenario.proxy.eventuallyLogs("reason=\(reason)"), "log: \(scenario.proxy.log)")
            #expect(scenario.upstream.requests.isEmpty)
            for channel in silent { try await channel.close() }
            try await Task.sleep(for: .milliseconds(300))
            #expect(try scenario.curl(client: "client", tls: "1.3").status == 200)
        }
    }

    @Test func handshakesInProgressAreLimited() async throws {
        try await refusedThenAdmitted(limits: "limits: {max_handshakes: 2}", reason: "connections_refused_max_handshakes_total")
    }

    @Test func openConnectionsAreLimited() async throws {
        try await refusedThenAdmitted(limits: "limits: {max_connections: 2, max_handshakes: 10}",
                                      reason: "connections_refused_max_connections_total")
    }

    @Test func silentHandshakeIsClosedAfterTheConfiguredTimeout() async throws {
        try await ProxyScenario.withConfig(Self.config("timeouts: {handshake: 500ms}")) { scenario in
            let started = ContinuousClock.now
            let silent = try await silentConnections(1, port: scenario.proxy.port)
            let closed = Task { try await silent[0].closeFuture.get() }
            let watchdog = Task {
                try await Task.sleep(for: .seconds(12))
                try await silent[0].close()
            }
            try await closed.value
            watchdog.cancel()
            let elapsed = ContinuousClock.now - started
            // Well under the 10 s default, with room for a loaded CI machine: the configured
            // 500 ms applied, not the default.
            #expect(elapsed >= .milliseconds(450) && elapsed < .seconds(8), "closed after \(elapsed)")
            #expect(await scenario.proxy.eventuallyLogs("TLS handshake timed out"), "log: \(scenario.proxy.log)")
        }
    }
}
