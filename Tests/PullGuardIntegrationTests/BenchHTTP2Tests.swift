import Foundation
import Testing
import PullGuardTestSupport

/// `pullguard-bench --http 2` against real servers over loopback: nginx with
/// `listen … ssl http2` and a required client certificate (its access log says what it
/// actually answered, and over which protocol), PullGuard with and without HTTP/2, and a
/// hand-written misbehaving server. Bounded by `--connections`; every server is stopped by its PID.
@Suite(.serialized, .enabled(if: NginxHTTP2Server.available,
                              "nginx with --with-http_v2_module is not installed (apt-get install nginx-light)"))
struct BenchHTTP2Tests {
    struct Run {
        var exitCode: Int32
        var json: [String: Any]
        var stderr: String

        func number(_ key: String) -> Double? { (json[key] as? NSNumber)?.doubleValue }
        var errors: [String: Int] { json["errors"] as? [String: Int] ?? [:] }
    }

    func bench(port: Int, _ extra: [String]) throws -> Run {
        let arguments = ["--url", "https://127.0.0.1:\(port)/", "--sni", "localhost",
                         "--cacert", ProxyScenario.file("root.pem"),
                         "--cert", ProxyScenario.file("client.pem"), "--key", ProxyScenario.file("client.key"),
                         "--json", "--timeout", "10", "--http", "2"] + extra
        let result = try CommandRunner.run(BenchTests.benchBinary, arguments, timeout: 120)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        let json = try #require(object as? [String: Any], "stdout: \(result.stdout)\nstderr: \(result.stderr)")
        return Run(exitCode: result.exitCode, json: json, stderr: result.stderr)
    }

    /// The first line a child process writes: plain `read(2)` byte by byte, which returns as soon
    /// as a byte is there (Foundation's `availableData` on a pipe may wait for more) or at EOF.
    static func firstLine(of descriptor: Int32) -> String {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while bytes.count < 200, read(descriptor, &byte, 1) == 1, byte != UInt8(ascii: "\n") {
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func twentyConnectionsOfAHundredRequestsOverTenStreamsAllSucceed() throws {
        let nginx = try NginxHTTP2Server.start()
        defer { nginx.stop() }
        let run = try bench(port: nginx.port, ["--streams", "10", "--requests-per-connection", "100",
                                               "--connections", "20", "--concurrency", "4"])
        #expect(run.exitCode == 0, "stderr: \(run.stderr)")
        #expect(run.json["http"] as? String == "2")
        #expect(run.json["streams"] as? Int == 10)
        #expect(run.number("requests_ok") == 2000)
        #expect(run.number("connections_ok") == 20)
        #expect(run.number("connections_failed") == 0)
        #expect(run.number("connections_ended_by_server") == 0)
        #expect(run.errors.isEmpty, "errors: \(run.errors)")
        // What nginx answered: 2000 requests, each over HTTP/2 with a verified client certificate.
        let log = nginx.accessLog()
        #expect(log.count == 2000)
        #expect(log.allSatisfy { $0 == "HTTP/2.0 200 SUCCESS" }, "first lines: \(log.prefix(3))")
    }

    /// nginx sends GOAWAY after `keepalive_requests` streams: the connection ends early
    /// (streams above its last-stream-id were never processed), which is not an error.
    @Test func goAwayAfterThirtyStreamsEndsConnectionsByServerWithoutErrors() throws {
        let nginx = try NginxHTTP2Server.start(keepaliveRequests: 30)
        defer { nginx.stop() }
        let run = try bench(port: nginx.port, ["--connections", "5", "--concurrency", "1"])
        #expect(run.exitCode == 0, "stderr: \(run.stderr)")
        #expect(run.number("connections_ok") == 5)
        #expect(run.number("connections_ended_by_server") == 5)
        #expect(run.number("connections_failed") == 0)
        #expect(run.number("requests_ok") == 150)
        #expect(run.errors.isEmpty, "errors: \(run.errors)")
        #expect(nginx.accessLog().count == 150)
    }

    @Test func aStatusOtherThanExpectedIsCountedByClass() throws {
        let nginx = try NginxHTTP2Server.start()
        defer { nginx.stop() }
        let run = try bench(port: nginx.port, ["--connections", "3", "--concurrency", "1", "--expect-status", "204"])
        #expect(run.exitCode == 1)
        #expect(run.number("connections_failed") == 3)
        #expect(run.errors == ["http_status:200": 3])
    }

    /// A server that breaks HTTP/2 in a way no well-behaved server does, written frame by
    /// frame (Tests/Scripts/h2_raw_server.py): each connection fails under the class that
    /// names what the server did, and the bench neither hangs nor counts a success.
    @Test(arguments: [("rst", "h2_rst:internal_error"),
                      ("uppercase", "h2_stream_error:protocol_error"),
                      ("goaway_error", "h2_goaway:protocol_error")])
    func aMisbehavingServerFailsEachConnectionByClass(mode: String, errorClass: String) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/h2_raw_server.py").path
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", script, ProxyScenario.file("server.pem"), ProxyScenario.file("server.key"), mode]
        let output = Pipe()
        server.standardOutput = output
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            // SIGKILL: the script holds only sockets, and a spawned child may inherit a blocked SIGTERM.
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        let line = Self.firstLine(of: output.fileHandleForReading.fileDescriptor)
        let port = try #require(line.split(separator: " ").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) },
                                "h2_raw_server.py printed: \(line)")
        let run = try bench(port: port, ["--connections", "2", "--concurrency", "1", "--streams", "2",
                                         "--requests-per-connection", "4"])
        #expect(run.exitCode == 1)
        #expect(run.number("requests_ok") == 0)
        #expect(run.errors == [errorClass: 2], "errors: \(run.errors)")
    }

    /// PullGuard's HTTP/2 server, client certificate required: every stream answered by the upstream.
    @Test func againstPullGuardWithH2EveryStreamSucceeds() async throws {
        try await ProxyScenario.withConfig(HTTP2Tests.config) { (scenario: ProxyScenario) async throws in
            let run = try bench(port: scenario.proxy.port, ["--streams", "10", "--requests-per-connection", "50",
                                                            "--connections", "6", "--concurrency", "2"])
            #expect(run.exitCode == 0, "stderr: \(run.stderr)")
            #expect(run.number("requests_ok") == 300)
            #expect(run.number("connections_ok") == 6)
            #expect(run.errors.isEmpty, "errors: \(run.errors)")
            #expect(scenario.upstream.requests.count == 300)
        }
    }

    /// A site with `http2: false` offers only `http/1.1`: the handshake completes on it, and
    /// every connection fails as `h2_alpn:http/1.1` before any request is sent.
    @Test func againstASiteWithoutH2EveryConnectionFailsAsH2ALPN() async throws {
        let config = HTTP2Tests.config.replacingOccurrences(of: "    upstream: {UPSTREAM}", with: "    upstream: {UPSTREAM}\n    http2: false")
        try await ProxyScenario.withConfig(config) { (scenario: ProxyScenario) async throws in
            let run = try bench(port: scenario.proxy.port, ["--connections", "4", "--concurrency", "2"])
            #expect(run.exitCode == 1)
            #expect(run.number("connections_ok") == 0)
            #expect(run.number("requests_ok") == 0)
            #expect(run.errors == ["h2_alpn:http/1.1": 4], "errors: \(run.errors)")
            #expect(scenario.upstream.requests.isEmpty)
        }
    }
}
