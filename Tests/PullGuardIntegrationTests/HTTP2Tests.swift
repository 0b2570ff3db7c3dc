import Foundation
import PullGuardTestSupport
import Testing

/// HTTP/2 through the binary with real clients: curl and nghttp with client certificates.
@Suite struct HTTP2Tests {
    static let config = """
        listen: 127.0.0.1:0
        workers: 1
        sites:
          - name: a
            server_names: [localhost]
            certificates: [{cert: {PKI}/server.pem, key: {PKI}/server.key}]
            upstream: {UPSTREAM}
            client_auth: {trust: [{PKI}/root.pem]}
        """

    @Test func curlGetsHTTP2AndTheUpstreamTheIdentity() async throws {
        try await ProxyScenario.withConfig(Self.config) { (scenario: ProxyScenario) async throws in
            let result = try scenario.curl(client: "client", tls: "1.3", http: "2")
            #expect(result.status == 200)
            #expect(result.stderr.contains("using HTTP/2"), "\(result.stderr)")
            #expect(result.body.contains("X-Client-Verify: SUCCESS"))
            let request = try #require(scenario.upstream.requests.first)
            #expect(request.headers["X-Client-Cert-Subject"].first?.contains("CN=client") == true)
            #expect(request.headers["host"] == ["localhost:\(scenario.proxy.port)"])
        }
    }

    @Test func withoutACertificateTheHandshakeIsRefusedAsForHTTP11() async throws {
        try await ProxyScenario.withConfig(Self.config) { (scenario: ProxyScenario) async throws in
            #expect(try scenario.curl(client: nil, tls: "1.3", http: "2").status == nil)
            #expect(scenario.upstream.requests.isEmpty)
        }
    }

    @Test func siteWithHTTP2OffNegotiatesHTTP11() async throws {
        let config = Self.config.replacingOccurrences(of: "    upstream: {UPSTREAM}", with: "    upstream: {UPSTREAM}\n    http2: false")
        try await ProxyScenario.withConfig(config) { (scenario: ProxyScenario) async throws in
            let result = try scenario.curl(client: "client", tls: "1.3", http: "2")
            #expect(result.status == 200)
            #expect(!result.stderr.contains("using HTTP/2"))
            #expect(result.stderr.contains("HTTP/1.1 200"), "\(result.stderr)")
        }
    }

    @Test func hundredConcurrentStreamsOnOneConnection() async throws {
        try await ProxyScenario.withConfig(Self.config) { (scenario: ProxyScenario) async throws in
            let result = try CommandRunner.run("nghttp", [
                "-n", "-m", "100", "--cert", ProxyScenario.file("client.pem"), "--key", ProxyScenario.file("client.key"),
                "-s", "https://localhost:\(scenario.proxy.port)/",
            ], timeout: 60)
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(scenario.upstream.requests.count == 100)
            // nghttp's statistics list one line per request with its status.
            let answered = result.stdout.split(separator: "\n").filter { $0.contains(" 200 ") }.count
            #expect(answered == 100, "\(result.stdout)")
        }
    }

    @Test func tenMegabytesUpAndDownIntact() async throws {
        try await ProxyScenario.withConfig(Self.config) { (scenario: ProxyScenario) async throws in
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("pullguard-h2-\(UUID().uuidString)")
            var bytes = [UInt8](repeating: 0, count: 10 * 1024 * 1024)
            for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 2_654_435_761 >> 13) }
            try Data(bytes).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let echoed = file.appendingPathExtension("echoed")
            defer { try? FileManager.default.removeItem(at: echoed) }
            let port = scenario.proxy.port
            let result = try CommandRunner.run("curl", [
                "-sS", "-v", "--http2", "--max-time", "60", "--cacert", ProxyScenario.file("root.pem"),
                "--cert", ProxyScenario.file("client.pem"), "--key", ProxyScenario.file("client.key"),
                "--resolve", "localhost:\(port):127.0.0.1", "--data-binary", "@\(file.path)", "-o", echoed.path,
                "https://localhost:\(port)/echo",
            ], timeout: 90)
            #expect(result.exitCode == 0, "\(result.stderr.suffix(2000))")
            #expect(result.stderr.contains("using HTTP/2"))
            let back = (try? Data(contentsOf: echoed)) ?? Data()
            #expect(back.count == bytes.count)
            #expect(back == Data(bytes), "the echoed body differs")
        }
    }

    /// A reload drains an HTTP/2 connection whose streams are all answered: GOAWAY, then
    /// the close once the grace second is over, long before `drain_timeout`.
    @Test func drainedConnectionWithNothingOpenClosesAfterTheGrace() async throws {
        let config = Self.config.replacingOccurrences(of: "workers: 1", with: "workers: 1\ntimeouts: {client_idle: 120s}")
        try await ReloadScenario.withConfig(config) { (scenario: ReloadScenario) async throws in
            let port = scenario.proxy.port
            // The probe waits up to 30 s after its answer for the close; the drain allows 60.
            let probe = Task { try await HTTP2ProbeTests.probe(port: port, "answered-then-wait", sni: "localhost") }
            let deadline = ContinuousClock.now + .seconds(15)
            while scenario.upstream.requests.isEmpty, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            try await Task.sleep(for: .milliseconds(200))  // the answer on its way back
            #expect(try await scenario.reload(config.replacingOccurrences(of: "workers: 1", with: "workers: 1\ndrain_timeout: 60s")))
            let outcome = try await probe.value
            #expect(outcome.status["1"] == 200, "\(outcome)")
            #expect(outcome.closed, "still open 30 s after the answer, with drain_timeout 60 s: \(outcome)")
            #expect(outcome.goaway == 0, "\(outcome)")
        }
    }

    @Test func streamInFlightFinishesAcrossAReload() async throws {
        try await ReloadScenario.withConfig(Self.config) { (scenario: ReloadScenario) async throws in
            let port = scenario.proxy.port
            let slow = Task {
                try await OffPool.run {
                    try CommandRunner.run("curl", [
                        "-sS", "--http2", "--max-time", "20", "--cacert", ProxyScenario.file("root.pem"),
                        "--cert", ProxyScenario.file("client.pem"), "--key", ProxyScenario.file("client.key"),
                        "--resolve", "localhost:\(port):127.0.0.1", "-o", "/dev/null", "-w", "%{http_code} %{http_version}",
                        "https://localhost:\(port)/slow?ms=2000",
                    ], timeout: 30)
                }
            }
            try await Task.sleep(for: .milliseconds(700))
            #expect(try await scenario.reload(Self.config.replacingOccurrences(of: "workers: 1", with: "workers: 1\ndrain_timeout: 10s")))
            let result = try await slow.value
            #expect(result.stdout == "200 2", "\(result.stdout) \(result.stderr)")
        }
    }
}
