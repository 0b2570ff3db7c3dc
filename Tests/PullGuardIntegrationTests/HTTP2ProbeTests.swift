import Foundation
import PullGuardTestSupport
import Testing

/// Issue 11's frame-level probes through the real binary: `Tests/Scripts/h2_probe.py`
/// (Python `h2`/`hyperframe`/`hpack`, ALPN `h2` with a client certificate) sends what no
/// browser would, and each test checks the frame or status that came back and what the
/// strict upstream (`StrictRecordingUpstream`) actually parsed.
///
/// Needs the PyPI package `h2`: `scripts/install-deps.sh --test` (run by `make test`) installs it; without it every
/// test here fails saying so.
@Suite(.serialized) struct HTTP2ProbeTests {
    /// Site `a` trusts the test root, site `b` only another CA: a client admitted at `a`
    /// was never checked against `b`'s trust. Site `c` admits clients without a certificate
    /// (`optional`), as `X-Client-Verify: NONE`. All share the one strict upstream, so
    /// "nothing upstream" covers both. The `http2:` limits are set small so the floods
    /// trip them quickly.
    static let config = """
        listen: 127.0.0.1:0
        workers: 1
        http2:
          max_header_list_size: 4096
          max_continuations: 8
          stream_reset_burst: 20
          stream_reset_rate: 1
          max_outbound_acks: 100
          max_empty_data_frames: 10
        sites:
          - name: a
            server_names: [a.test, localhost]
            certificates:
              - cert: {PKI}/server.pem
                key: {PKI}/server.key
            upstream: {UPSTREAM}
            client_auth:
              trust: [{PKI}/root.pem]
          - name: b
            server_names: [b.test]
            certificates:
              - cert: {PKI}/server-b.pem
                key: {PKI}/server-b.key
            upstream: {UPSTREAM}
            client_auth:
              trust: [{PKI}/other-ca.pem]
          - name: c
            server_names: [c.test]
            certificates:
              - cert: {PKI}/server-rsa.pem
                key: {PKI}/server-rsa.key
            upstream: {UPSTREAM}
            client_auth:
              mode: optional
              trust: [{PKI}/root.pem]
        """

    /// RFC 9113 §7 error codes.
    static let noError = 0x0, protocolError = 0x1, enhanceYourCalm = 0xb

    /// What `h2_probe.py` printed: the frames and statuses that came back.
    struct Outcome: Decodable, CustomStringConvertible {
        var alpn: String?
        var goaway: Int?
        var goaway_last_stream: Int?
        var rst: [String: Int]
        var status: [String: Int]
        var closed: Bool
        var sent: Int?
        var send_failed: Bool?
        /// Seconds the probe waited (the clock probes).
        var elapsed: Double?

        var description: String {
            "alpn \(alpn ?? "-") goaway \(goaway.map(String.init) ?? "-") rst \(rst) status \(status) closed \(closed)"
                + " sent \(sent.map(String.init) ?? "-") send_failed \(send_failed.map(String.init) ?? "-")"
        }

        /// Stream 1 was refused as malformed: RST_STREAM(PROTOCOL_ERROR), or a 400.
        var streamOneRefusedAsMalformed: Bool {
            rst["1"] == HTTP2ProbeTests.protocolError || status["1"] == 400
        }
    }

    struct MissingModule: Error, CustomStringConvertible {
        var stderr: String
        var description: String {
            "the HTTP/2 probes need the Python package h2 (with hyperframe, hpack): run scripts/install-deps.sh --test\n\(stderr)"
        }
    }

    struct ProbeFailed: Error, CustomStringConvertible {
        var result: CommandResult
        var description: String { "h2_probe.py exited \(result.exitCode):\n\(result.stdout)\n\(result.stderr)" }
    }

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/h2_probe.py").path
    }

    /// Runs one probe as `client` with SNI `sni`; `authority` (default: the SNI) and `host`
    /// are the request's `:authority` and `host`.
    /// `client` nil: no client certificate.
    static func probe(_ scenario: StrictUpstreamScenario, _ name: String, sni: String = "a.test",
                      authority: String? = nil, host: String? = nil, client: String? = "client") async throws -> Outcome {
        try await probe(port: scenario.proxy.port, name, sni: sni, authority: authority, host: host, client: client)
    }

    /// The same against any PullGuard listening on `port`.
    static func probe(port: Int, _ name: String, sni: String = "a.test",
                      authority: String? = nil, host: String? = nil, client: String? = "client") async throws -> Outcome {
        var arguments = [script, "\(port)", sni, client.map { ProxyScenario.file("\($0).pem") } ?? "-",
                         client.map { ProxyScenario.file("\($0).key") } ?? "-", name, authority ?? sni]
        if let host { arguments.append(host) }
        // Off the cooperative pool: a flood probe blocks for seconds, which stalled other
        // tests' clocks when it held one of its two threads.
        let result = try await OffPool.run { [arguments] in try CommandRunner.run("python3", arguments, timeout: 60) }
        if result.exitCode == 3 || result.stderr.contains("missing python module") { throw MissingModule(stderr: result.stderr) }
        guard result.exitCode == 0, let line = result.stdout.split(separator: "\n").last else { throw ProbeFailed(result: result) }
        let outcome = try JSONDecoder().decode(Outcome.self, from: Data(line.utf8))
        #expect(outcome.alpn == "h2", "the probe must speak HTTP/2: \(outcome)")
        return outcome
    }

    /// The upstream parsed nothing, and nothing it could not parse.
    static func expectNothingUpstream(_ scenario: StrictUpstreamScenario, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(scenario.upstream.requests.isEmpty, "\(scenario.upstream.requests)", sourceLocation: sourceLocation)
        #expect(scenario.upstream.errors.isEmpty, "\(scenario.upstream.errors)", sourceLocation: sourceLocation)
    }

    /// A counter from the admin listener's `/metrics`.
    static func counter(_ scenario: StrictUpstreamScenario, _ series: String) throws -> Int {
        try counter(scenario.proxy, series)
    }

    /// A counter from `proxy`'s admin listener; 0 when the series is not there yet.
    static func counter(_ proxy: PullGuardProcess, _ series: String) throws -> Int {
        let port = try #require(proxy.adminPort)
        let result = try CommandRunner.run("curl", ["-sS", "--max-time", "10", "http://127.0.0.1:\(port)/metrics"], timeout: 20)
        for line in result.stdout.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Int(Double(line.dropFirst(series.count + 1)) ?? -1)
        }
        return 0
    }

    /// The baseline the refusals are measured against: the same script's plain request is
    /// answered 200 and reaches the upstream once.
    @Test func wellFormedRequestIsForwarded() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { scenario in
            let outcome = try await Self.probe(scenario, "ok")
            #expect(outcome.status["1"] == 200, "\(outcome)")
            #expect(scenario.upstream.requests.map { "\($0.method) \($0.target)" } == ["GET /"])
            #expect(scenario.upstream.errors.isEmpty)
        }
    }

    @Test func badPrefaceIsRefused() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { scenario in
            let outcome = try await Self.probe(scenario, "bad-preface")
            #expect(outcome.closed, "\(outcome)")
            #expect(outcome.goaway == nil || outcome.goaway == Self.protocolError, "\(outcome)")
            #expect(outcome.status.isEmpty, "\(outcome)")
            #expect(try Self.counter(scenario, "pullguard_http2_protocol_errors_total") == 1)
            Self.expectNothingUpstream(scenario)
        }
    }

    @Test func evenStreamIdIsAConnectionError() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { scenario in
            let outcome = try await Self.probe(scenario, "even-stream")
            #expect(outcome.goaway == Self.protocolError, "\(outcome)")
            #expect(outcome.closed, "\(outcome)")
            #expect(outcome.status.isEmpty, "\(outcome)")
            #expect(try Self.counter(scenario, "pullguard_http2_protocol_errors_total") == 1)
            Self.expectNothingUpstream(scenario)
        }
    }

    /// One malformed request (RFC 9113 §8.1.1, §8.2, §8.3): refused, nothing upstream.
    func expectMalformed(_ probe: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { scenario in
            let outcome = try await Self.probe(scenario, probe)
            #expect(outcome.streamOneRefusedAsMalformed, "\(probe): \(outcome)", sourceLocation: sourceLocation)
            #expect(outcome.status["1"] != 200, "\(probe): \(outcome)", sourceLocation: sourceLocation)
            Self.expectNothingUpstream(scenario, sourceLocation: sourceLocation)
        }
    }

    @Test func uppercaseHeaderNameIsMalformed() async throws { try await expectMalformed("uppercase-name") }
    @Test func crlfInAValueIsMalformed() async throws { try await expectMalformed("crlf-value") }
    @Test func missingPathIsMalformed() async throws { try await expectMalformed("missing-path") }
    @Test func duplicatePathIsMalformed() async throws { try await expectMalformed("duplicate-path") }
    @Test func connectionHeaderIsMalformed() async throws { try await expectMalformed("connection-header") }
    @Test func teOtherThanTrailersIsMalformed() async throws { try await expectMalformed("te-gzip") }
    @Test func transferEncodingIsMalformed() async throws { try await expectMalformed("transfer-encoding") }

    @Test func teTrailersIsAllowed() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { scenario in
            let outcome = try await Self.probe(scenario, "te-trailers")
            #expect(outcome.status["1"] == 200, "\(outcome)")
            #expect(scenario.upstream.requests.count == 1)
            // TE is connection-specific in HTTP/1.1 too: it is not passed on.
            #expect(scenario.upstream.requests.first?.values("te") == [])
            #expect(scenario.upstream.errors.isEmpty)
        }
    }

    /// `content-length: 10` and 5 bytes, then END_STREAM: the stream is reset and the
    /// upstream never holds a complete request (it may have seen the head and 5 bytes of
    /// a body it then lost with its connection).
    @Test func contentLengthMismatchIsResetAndNeverCompletesUpstream() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { scenario in
            let outcome = try await Self.probe(scenario, "content-length-mismatch")
            #expect(outcome.rst["1"] == Self.protocolError || outcome.status["1"] == 400, "\(outcome)")
            #expect(outcome.status["1"] != 200, "\(outcome)")
            Self.expectNothingUpstream(scenario)
        }
    }

    /// 8 KiB of header fields against `max_header_list_size: 4096`.
    @Test func oversizedHeaderBlockIsRefused() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { scenario in
            let outcome = try await Self.probe(scenario, "oversized-headers")
            #expect(outcome.rst["1"] != nil || outcome.status["1"] == 431, "\(outcome)")
            #expect(outcome.status["1"] != 200, "\(outcome)")
            Self.expectNothingUpstream(scenario)
        }
    }

    @Test func continuationFloodEndsTheConnection() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { scenario in
            let outcome = try await Self.probe(scenario, "continuation-flood")
            #expect(outcome.closed, "\(outcome)")
            #expect(outcome.goaway == nil || outcome.goaway != Self.noError, "\(outcome)")
            // Ended long before the 10 000 frames of the probe.
            #expect((outcome.sent ?? 0) < 10_000 || outcome.send_failed == true, "\(outcome)")
            let counted = try Self.counter(scenario, "pullguard_http2_connections_ended_for_abuse_total")
                + Self.counter(scenario, "pullguard_http2_protocol_errors_total")
            #expect(counted >= 1)
            Self.expectNothingUpstream(scenario)
        }
    }

    /// Open a stream and reset it, 2 000 times, against `stream_reset_burst: 20`.
    @Test func rapidResetGetsGoAway() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { scenario in
            let outcome = try await Self.probe(scenario, "rapid-reset")
            #expect(outcome.goaway != nil || outcome.closed, "\(outcome)")
            #expect(outcome.goaway != Self.noError, "\(outcome)")
            #expect((outcome.sent ?? 0) < 2000, "the connection must end within the loop: \(outcome)")
            #expect(try Self.counter(scenario, "pullguard_http2_connections_ended_for_abuse_total") == 1)
            #expect(scenario.upstream.errors.isEmpty, "\(scenario.upstream.errors)")
        }
    }

    /// PINGs, never reading the acknowledgements, against `max_outbound_acks: 100`.
    @Test func pingFloodWithoutReadingEndsTheConnection() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { scenario in
            let outcome = try await Self.probe(scenario, "ping-flood")
            #expect(outcome.closed || outcome.goaway != nil, "\(outcome)")
            #expect(outcome.goaway != Self.noError, "\(outcome)")
            #expect(try Self.counter(scenario, "pullguard_http2_connections_ended_for_abuse_total") >= 1)
            Self.expectNothingUpstream(scenario)
        }
    }

    /// Empty DATA frames (no payload, no END_STREAM) against `max_empty_data_frames: 10`.
    @Test func emptyDataFloodGetsEnhanceYourCalm() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { scenario in
            let outcome = try await Self.probe(scenario, "empty-data-flood")
            #expect(outcome.goaway == Self.enhanceYourCalm, "\(outcome)")
            #expect((outcome.sent ?? 0) < 5000, "\(outcome)")
            // One connection, counted once (it was counted per empty frame past the limit).
            #expect(try Self.counter(scenario, "pullguard_http2_connections_ended_for_abuse_total") == 1)
            // The POST's head may have gone upstream, but never as a complete request.
            #expect(scenario.upstream.requests.isEmpty, "\(scenario.upstream.requests)")
        }
    }

    /// Admitted at `a` (SNI a.test), `:authority: b.test` names a site whose trust never
    /// checked this client.
    @Test func authorityOfAnotherSiteIs421() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { scenario in
            let outcome = try await Self.probe(scenario, "ok", sni: "a.test", authority: "b.test")
            #expect(outcome.status["1"] == 421, "\(outcome)")
            Self.expectNothingUpstream(scenario)
        }
    }

    @Test func authorityAndHostThatDisagreeAre400() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { scenario in
            let outcome = try await Self.probe(scenario, "host-conflict", sni: "a.test", authority: "a.test", host: "b.test")
            #expect(outcome.status["1"] == 400, "\(outcome)")
            Self.expectNothingUpstream(scenario)
        }
    }

    /// Identity headers forged in the request and again in trailers: the upstream sees
    /// PullGuard's values only, and no trailer at all.
    @Test func spoofedIdentityHeadersAndTrailersNeverReachTheUpstream() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { scenario in
            let outcome = try await Self.probe(scenario, "spoofed-identity")
            #expect(outcome.status["1"] == 200, "\(outcome)")
            #expect(scenario.upstream.errors.isEmpty, "\(scenario.upstream.errors)")
            let request = try #require(scenario.upstream.requests.first)
            #expect(scenario.upstream.requests.count == 1)
            #expect(request.values("x-client-verify") == ["SUCCESS"], "\(request)")
            #expect(request.values("x-client-cert-subject").count == 1, "\(request)")
            #expect(request.values("x-client-cert-subject").allSatisfy { $0.contains("CN=client") && !$0.contains("admin") },
                    "\(request)")
            #expect(request.values("x-client-cert-fingerprint").allSatisfy { $0 != "00" }, "\(request)")
            #expect(request.values("cf-connecting-ip") == [], "the test root is not Cloudflare's: \(request)")
            #expect(request.trailers.isEmpty, "\(request)")
            #expect(request.values("x-trailer") == [], "\(request)")
            #expect(!request.description.contains("FORGED") && !request.description.contains("TRAILER"), "\(request)")
            #expect(request.bodyText == "hello")
        }
    }

    /// No certificate at the `optional` site `c`, forging `X-Client-Verify: SUCCESS` and a
    /// subject: the upstream reads `NONE` and no subject.
    @Test func clientWithoutCertificateCannotClaimToBeVerified() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { scenario in
            let outcome = try await Self.probe(scenario, "spoofed-success", sni: "c.test", client: nil)
            #expect(outcome.status["1"] == 200, "\(outcome)")
            #expect(scenario.upstream.errors.isEmpty, "\(scenario.upstream.errors)")
            let request = try #require(scenario.upstream.requests.first)
            #expect(request.values("x-client-verify") == ["NONE"], "\(request)")
            #expect(request.values("x-client-cert-subject") == [], "\(request)")
        }
    }
}
