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

    @Test func quietStreamIsCancelledAndTheConnectionGoesOn() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { scenario in
            let outcome = try await HTTP2ProbeTests.probe(scenario, "stream-idle")
            #expect(outcome.rst["1"] == 0x8, "stream 1 reset with CANCEL: \(outcome)")
            #expect(outcome.goaway == nil && !outcome.closed, "only the stream ends: \(outcome)")
            #expect(try HTTP2ProbeTests.counter(scenario, "pullguard_http2_streams_reset_total") == 1)
        }
    }

    @Test func connectionWithoutStreamsIsClosedAfterClientIdle() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { scenario in
            let outcome = try await HTTP2ProbeTests.probe(scenario, "client-idle")
            #expect(outcome.closed, "still open after 8 s: \(outcome)")
            #expect(outcome.goaway == 0, "GOAWAY(NO_ERROR) before the close: \(outcome)")
            #expect((outcome.elapsed ?? 0) >= 1.5, "closed before client_idle (2 s): \(outcome)")
            #expect(scenario.upstream.requests.isEmpty)
        }
    }

    /// Once its last stream was answered, a connection is idle again and closes after
    /// `client_idle` like one that never opened a stream (streams that nghttp2 closed while
    /// sending their last frame were once never forgotten, so this one stayed open).
    @Test func connectionIsIdleAgainAfterItsLastStream() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { scenario in
            let outcome = try await HTTP2ProbeTests.probe(scenario, "idle-after-request")
            #expect(outcome.status["1"] == 200, "\(outcome)")
            #expect(outcome.closed, "still open 8 s after the answer: \(outcome)")
            #expect(outcome.goaway == 0, "GOAWAY(NO_ERROR) before the close: \(outcome)")
            #expect((outcome.elapsed ?? 0) >= 1.5, "closed before client_idle (2 s): \(outcome)")
            #expect(scenario.upstream.requests.count == 1)
        }
    }
}
