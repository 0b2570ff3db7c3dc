import Foundation
import PullGuardTestSupport
import Testing

/// The HTTP/2 clocks through the binary, with `h2_probe.py`: a stream that goes quiet is
/// reset (`http2.stream_idle`) while its connection goes on, and a connection without
/// streams is closed with GOAWAY (`timeouts.client_idle`). Both run in the handler's
/// once-a-second sweep, so each check allows a second more than its clock.
@Suite(.serialized) struct HTTP2ClockTests {
    static let config = """
        listen: 127.0.0.1:0
        workers: 1
        http2: {stream_idle: 1s}
        timeouts: {client_idle: 2s}
        sites:
          - name: a
            server_names: [a.test, localhost]
            certificates: [{cert: {PKI}/server.pem, key: {PKI}/server.key}]
            upstream: {UPSTREAM}
            client_auth: {trust: [{PKI}/root.pem]}
        """

    struct Timed: Decodable {
        var goaway: Int?
        var rst: [String: Int]
        var closed: Bool
        var elapsed: Double?
    }

    static func run(_ scenario: StrictUpstreamScenario, _ probe: String) async throws -> Timed {
        let arguments = [HTTP2ProbeTests.script, "\(scenario.proxy.port)", "a.test", ProxyScenario.file("client.pem"),
                         ProxyScenario.file("client.key"), probe]
        // Off the cooperative pool: each probe waits seconds for a clock.
        let result = try await OffPool.run { try CommandRunner.run("python3", arguments, timeout: 60) }
        if result.exitCode == 3 { throw HTTP2ProbeTests.MissingModule(stderr: result.stderr) }
        guard result.exitCode == 0, let line = result.stdout.split(separator: "\n").last else {
            throw HTTP2ProbeTests.ProbeFailed(result: result)
        }
        return try JSONDecoder().decode(Timed.self, from: Data(line.utf8))
    }

    @Test func quietStreamIsCancelledAndTheConnectionGoesOn() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { scenario in
            let outcome = try await Self.run(scenario, "stream-idle")
            #expect(outcome.rst["1"] == 0x8, "stream 1 reset with CANCEL: \(outcome)")
            #expect(outcome.goaway == nil && !outcome.closed, "only the stream ends: \(outcome)")
            #expect(try HTTP2ProbeTests.counter(scenario, "pullguard_http2_streams_reset_total") == 1)
        }
    }

    @Test func connectionWithoutStreamsIsClosedAfterClientIdle() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { scenario in
            let outcome = try await Self.run(scenario, "client-idle")
            #expect(outcome.closed, "still open after 8 s: \(outcome)")
            #expect(outcome.goaway == 0, "GOAWAY(NO_ERROR) before the close: \(outcome)")
            #expect((outcome.elapsed ?? 0) >= 1.5, "closed before client_idle (2 s): \(outcome)")
            #expect(scenario.upstream.requests.isEmpty)
        }
    }
}
