import Foundation
import PullGuardTestSupport
import Testing

/// The access log through the binary: one JSON line per request (HTTP/1.1 and HTTP/2) and
/// per refused handshake, the request id the upstream saw, reopening on SIGUSR1.
@Suite struct AccessLogTests {
    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pullguard-accesslog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    static func config(log: String, extra: String = "") -> String {
        ReloadTests.config(trust: ReloadTests.both, extra: "access_log: {path: \(log)}\n\(extra)")
    }

    /// Every line of the file, each parsed as a JSON object (a line that is not fails the test).
    static func lines(_ path: String) throws -> [[String: Any]] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            return try #require(object as? [String: Any], "not a JSON object: \(line)")
        }
    }

    /// Waits (5 s at most) until the file has `count` lines; the writer batches every 20 ms.
    static func waitForLines(_ path: String, count: Int) async throws -> [[String: Any]] {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            let lines = try lines(path)
            if lines.count >= count { return lines }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try lines(path)
    }

    @Test func http1RequestIsOneLineWithTheIDTheUpstreamSaw() async throws {
        let log = try Self.folder().appendingPathComponent("access.log").path
        try await ReloadScenario.withConfig(Self.config(log: log)) { (scenario: ReloadScenario) async throws in
            let proxied = ProxyScenario(upstream: scenario.upstream, proxy: scenario.proxy)
            // A client's own id is not trusted by default: replaced, under any spelling.
            let result = try proxied.curl(client: "client", tls: "1.3", path: "/hello?x=1",
                                          headers: ["X-Request-ID: chosen-by-client", "CF-Connecting-IP: 203.0.113.9"])
            #expect(result.status == 200)
            let lines = try await Self.waitForLines(log, count: 1)
            let line = try #require(lines.first)
            #expect(lines.count == 1)
            #expect(line["type"] as? String == "request")
            #expect(line["protocol"] as? String == "HTTP/1.1")
            #expect(line["method"] as? String == "GET")
            #expect(line["path"] as? String == "/hello?x=1")
            #expect(line["authority"] as? String == "localhost:\(scenario.proxy.port)")
            #expect(line["status"] as? Int == 200)
            #expect(line["site"] as? String == "a")
            #expect(line["sni"] as? String == "localhost")
            #expect(line["alpn"] as? String == "http/1.1")
            #expect(line["tls_version"] as? String == "TLSv1.3")
            #expect(line["verify"] as? String == "SUCCESS")
            #expect((line["client_subject"] as? String)?.contains("CN=") == true)
            #expect((line["client_fingerprint"] as? String)?.count == 64)
            #expect(line["trust_source"] as? String != nil)
            #expect(line["client_addr"] as? String == "127.0.0.1")
            #expect((line["client_port"] as? Int ?? 0) > 0)
            #expect(line["upstream"] as? String == "127.0.0.1:\(scenario.port)")
            #expect((line["bytes_out"] as? Int ?? 0) > 0)
            #expect(line["upstream_first_byte_ms"] is Double || line["upstream_first_byte_ms"] is Int)
            // The test root is not Cloudflare's: the client's CF-Connecting-IP is not logged.
            #expect(line["cf_connecting_ip"] is NSNull)
            let time = try #require(line["time"] as? String)
            #expect(time.hasSuffix("Z") && time.count == 24, "not RFC 3339 UTC with milliseconds: \(time)")
            let id = try #require(line["request_id"] as? String)
            #expect(id != "chosen-by-client" && id.count == 32)
            let seen = try #require(scenario.upstream.requests.last)
            #expect(seen.headers["X-Request-ID"] == [id], "the upstream saw \(seen.headers["X-Request-ID"])")
        }
    }

    @Test func trustedClientKeepsItsRequestID() async throws {
        let log = try Self.folder().appendingPathComponent("access.log").path
        let config = Self.config(log: log, extra: "headers: {trust_request_id: true}")
        try await ReloadScenario.withConfig(config) { (scenario: ReloadScenario) async throws in
            let proxied = ProxyScenario(upstream: scenario.upstream, proxy: scenario.proxy)
            #expect(try proxied.curl(client: "client", tls: "1.3", headers: ["X-Request-ID: trace-42"]).status == 200)
            let line = try #require(try await Self.waitForLines(log, count: 1).first)
            #expect(line["request_id"] as? String == "trace-42")
            #expect(scenario.upstream.requests.last?.headers["X-Request-ID"] == ["trace-42"])
        }
    }

    @Test func http2StreamsAreOneLineEach() async throws {
        let log = try Self.folder().appendingPathComponent("access.log").path
        try await ReloadScenario.withConfig(Self.config(log: log)) { (scenario: ReloadScenario) async throws in
            let proxied = ProxyScenario(upstream: scenario.upstream, proxy: scenario.proxy)
            let url = "https://localhost:\(scenario.proxy.port)/"
            let result = try proxied.curl(client: "client", tls: "1.3", path: "/one", extra: [url + "two"], http: "2")
            #expect(result.status == 200)
            let lines = try await Self.waitForLines(log, count: 2)
            #expect(lines.count == 2)
            #expect(Set(lines.compactMap { $0["path"] as? String }) == ["/one", "/two"])
            for line in lines {
                #expect(line["protocol"] as? String == "HTTP/2")
                #expect(line["alpn"] as? String == "h2")
                #expect(line["status"] as? Int == 200)
                #expect((line["stream"] as? Int ?? 0) % 2 == 1)
            }
            let ids = Set(lines.compactMap { $0["request_id"] as? String })
            #expect(ids.count == 2)
            #expect(Set(scenario.upstream.requests.flatMap { $0.headers["X-Request-ID"] }) == ids)
        }
    }

    @Test func refusedHandshakeHasItsOwnLine() async throws {
        let log = try Self.folder().appendingPathComponent("access.log").path
        try await ReloadScenario.withConfig(Self.config(log: log)) { (scenario: ReloadScenario) async throws in
            #expect(try scenario.curl(client: nil).status == nil)
            #expect(try scenario.curl(client: "expired").status == nil)
            let lines = try await Self.waitForLines(log, count: 2)
            #expect(lines.count == 2)
            #expect(lines.allSatisfy { $0["type"] as? String == "handshake_refused" })
            let kinds = lines.compactMap { $0["refusal"] as? String }
            #expect(kinds == ["no_certificate", "certificate_refused"])
            #expect((lines[1]["client_subject"] as? String)?.isEmpty == false)
            #expect(lines[1]["verify_error"] as? String != nil)
            #expect(lines[0]["client_addr"] as? String == "127.0.0.1")
        }
    }

    @Test func refusedHandshakeLinesAreRateLimited() async throws {
        let log = try Self.folder().appendingPathComponent("access.log").path
        let config = ReloadTests.config(trust: ReloadTests.both,
                                        extra: "access_log: {path: \(log), refused_handshakes_per_second: 2}")
        try await ReloadScenario.withConfig(config) { (scenario: ReloadScenario) async throws in
            for _ in 0..<6 { _ = try scenario.curl(client: nil) }
            try await Task.sleep(for: .milliseconds(300))
            let lines = try Self.lines(log)
            // 2 at once, then about one every 500 ms: far fewer than 6.
            #expect(lines.count >= 2 && lines.count < 6, "\(lines.count) lines")
            let suppressed = try HTTP2ProbeTests.counter(scenario.proxy, "pullguard_access_log_refusal_lines_suppressed_total")
            #expect(suppressed + lines.count == 6, "\(suppressed) suppressed, \(lines.count) written")
            let last = try #require(lines.last)
            #expect(lines.count == 2 || (last["suppressed_before"] as? Int ?? 0) > 0)
        }
    }

    @Test func sigusr1ReopensTheFileAfterARename() async throws {
        let folder = try Self.folder()
        let log = folder.appendingPathComponent("access.log").path
        try await ReloadScenario.withConfig(Self.config(log: log)) { (scenario: ReloadScenario) async throws in
            #expect(try scenario.curl(client: "client").status == 200)
            _ = try await Self.waitForLines(log, count: 1)
            let rotated = folder.appendingPathComponent("access.log.1").path
            #expect(rename(log, rotated) == 0)
            scenario.proxy.signal(SIGUSR1)
            #expect(await scenario.proxy.eventuallyLogs("reopening the access log"))
            // The reopen happens on the writer thread: wait for the new file before the request.
            let deadline = ContinuousClock.now + .seconds(5)
            while !FileManager.default.fileExists(atPath: log), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(try scenario.curl(client: "client", path: "/after").status == 200)
            let after = try await Self.waitForLines(log, count: 1)
            #expect(after.map { $0["path"] as? String } == ["/after"])
            #expect(try Self.lines(rotated).count == 1)
        }
    }

    @Test func aQuoteBackslashAndControlBytesInThePathStayOneValidLine() async throws {
        let log = try Self.folder().appendingPathComponent("access.log").path
        try await ReloadScenario.withConfig(Self.config(log: log)) { (scenario: ReloadScenario) async throws in
            // A raw TLS client sends what curl would encode: a quote and a backslash.
            let result = try ProxyScenario.openssl(
                port: scenario.proxy.port, client: "client", tls: "1.3",
                request: "GET /a\"b\\c HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            #expect(result.stdout.hasPrefix("HTTP/1.1"), "openssl said: \(result.stdout) \(result.stderr)")
            let lines = try await Self.waitForLines(log, count: 1)
            #expect(lines.count == 1)
            #expect(lines.first?["path"] as? String == "/a\"b\\c")
        }
    }
}
