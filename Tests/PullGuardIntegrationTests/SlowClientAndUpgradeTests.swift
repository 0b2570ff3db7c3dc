import Foundation
import NIOPosix
import PullGuardTestSupport
import Testing

/// Upgrades, `Expect` and slow clients through the real binary, with a raw Python TLS
/// client presenting the test client certificate.
@Suite(.serialized) struct SlowClientAndUpgradeTests {
    static let tls = RawClient.TLS(ca: ProxyScenario.file("root.pem"), cert: ProxyScenario.file("client.pem"),
                                   key: ProxyScenario.file("client.key"))

    static func config(upstreamPort: Int, timeouts: String) -> String {
        """
        listen: 127.0.0.1:0
        workers: 1
        timeouts: {\(timeouts)}
        sites:
          - name: only
            certificates:
              - cert: \(ProxyScenario.file("server.pem"))
                key: \(ProxyScenario.file("server.key"))
            upstream: http://127.0.0.1:\(upstreamPort)
            client_auth:
              trust: [\(ProxyScenario.file("root.pem"))]
        """
    }

    static func start(upstreamPort: Int, timeouts: String) throws -> PullGuardProcess {
        let file = ProxyScenario.pkiDirectory.appendingPathComponent("config-\(UUID().uuidString).yaml")
        try Data(config(upstreamPort: upstreamPort, timeouts: timeouts).utf8).write(to: file)
        return try PullGuardProcess.start(["run", "--config", file.path])
    }

    static let upgrade = "GET /chat HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: Upgrade\\r\\nUpgrade: websocket\\r\\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nSec-WebSocket-Version: 13\\r\\n"
        + "X-Client-Cert-Subject: CN=admin\\r\\n\\r\\n"

    /// The whole WebSocket path: 101 relayed, greeting and echoes over TLS, identity
    /// headers on the upgrade request as the upstream parsed them, idle tunnel closed.
    @Test func websocketEndToEnd() async throws {
        let echo = try await TunnelEchoUpstream.start()
        let proxy = try Self.start(upstreamPort: echo.port, timeouts: "tunnel_idle: 1s")
        defer { proxy.stop() }
        let seen = try RawClient.run(port: proxy.port, tls: Self.tls, """
            s.sendall(b"\(Self.upgrade)")
            head, how = read_until(s, b"hello\\n")
            report("status", head.split(b"\\r\\n")[0])
            report("greeting", head.endswith(b"\\r\\n\\r\\nhello\\n"))
            s.sendall(b"\\x81\\x85\\x37\\xfa\\x21\\x3d\\x7f\\x9f\\x4d\\x51\\x58")  # a masked text frame, as bytes
            data, how = read_until(s, b"\\x58")
            report("echo", data)
            data, how = wait_closed(s, 6)
            report("idle", how)
            """)
        try await echo.shutdown()
        #expect(seen["status"] == "b'HTTP/1.1 101 Switching Protocols'", "\(seen)\n\(proxy.log)")
        #expect(seen["greeting"] == "True")
        #expect(seen["echo"] == "b'\\x81\\x857\\xfa!=\\x7f\\x9fMQX'")
        #expect(seen["idle"] == "'closed'")
        let head = try #require(echo.heads.first)
        #expect(head.contains("\r\nX-Client-Verify: SUCCESS\r\n"), "\(head)")
        #expect(head.contains("\r\nX-Client-Cert-Subject: CN=client,O=PullGuard Tests\r\n"))
        #expect(!head.contains("CN=admin"))
        #expect(head.lowercased().contains("\r\nupgrade: websocket"))
    }

    /// A body that stops arriving: 408 and a close after client_body.
    @Test func stalledBodyGets408() async throws {
        try await ProxyScenario.withConfig(Self.config(upstreamPort: 0, timeouts: "client_body: 500ms")
            .replacingOccurrences(of: "http://127.0.0.1:0", with: "{UPSTREAM}")) { scenario in
            let seen = try RawClient.run(port: scenario.proxy.port, tls: Self.tls, """
                s.sendall(b"POST /plain HTTP/1.1\\r\\nHost: localhost\\r\\nContent-Length: 100\\r\\n\\r\\nabc")
                data, how = wait_closed(s, 5)
                report("status", data.split(b"\\r\\n")[0])
                report("how", how)
                """)
            #expect(seen["status"] == "b'HTTP/1.1 408 Request Timeout'", "\(seen)")
            #expect(seen["how"] == "'closed'")
        }
    }

    /// Slowloris over TLS: closed after client_header, nothing forwarded.
    @Test func slowHeadIsClosed() async throws {
        try await ProxyScenario.withConfig(Self.config(upstreamPort: 0, timeouts: "client_header: 500ms")
            .replacingOccurrences(of: "http://127.0.0.1:0", with: "{UPSTREAM}")) { scenario in
            let seen = try RawClient.run(port: scenario.proxy.port, tls: Self.tls, """
                s.sendall(b"GET / HTTP/1.1\\r\\n")
                how = "open"
                for i in range(40):
                    time.sleep(0.1)
                    try:
                        s.sendall(b"X-Slow: 1\\r\\n")
                    except OSError:
                        how = "closed"
                        break
                if how == "open":
                    data, how = wait_closed(s, 1)
                report("how", how)
                """)
            #expect(seen["how"] == "'closed'", "\(seen)")
            #expect(scenario.upstream.requests.isEmpty)
        }
    }

    /// `Expect: 100-continue` gets `100 Continue` before the body is sent.
    @Test func expectContinueIsAnswered() async throws {
        try await ProxyScenario.withSite { scenario in
            let seen = try RawClient.run(port: scenario.proxy.port, tls: Self.tls, """
                s.sendall(b"POST /echo HTTP/1.1\\r\\nHost: localhost\\r\\nContent-Length: 5\\r\\nExpect: 100-continue\\r\\n\\r\\n")
                data, how = read_until(s, b"\\r\\n\\r\\n")
                report("interim", data)
                s.sendall(b"hello")
                data, how = read_until(s, b"hello")
                report("final", data.split(b"\\r\\n")[0])
                """)
            #expect(seen["interim"] == "b'HTTP/1.1 100 Continue\\r\\n\\r\\n'", "\(seen)")
            #expect(seen["final"] == "b'HTTP/1.1 200 OK'")
        }
    }

    /// A client that uploads to /echo and never reads: backpressure stalls the upload,
    /// and client_send closes the connection.
    @Test func clientThatNeverReadsIsClosed() async throws {
        try await ProxyScenario.withConfig(Self.config(upstreamPort: 0, timeouts: "client_send: 500ms")
            .replacingOccurrences(of: "http://127.0.0.1:0", with: "{UPSTREAM}")) { scenario in
            let seen = try RawClient.run(port: scenario.proxy.port, tls: Self.tls, """
                total = 256 << 20
                s.sendall(b"POST /echo HTTP/1.1\\r\\nHost: localhost\\r\\nContent-Length: %d\\r\\n\\r\\n" % total)
                s.settimeout(0.2)
                block = b"x" * 16384
                sent = 0
                how = "open"
                deadline = time.monotonic() + 8
                while time.monotonic() < deadline and sent < total:
                    try:
                        sent += s.send(block)
                    except (socket.timeout, ssl.SSLWantWriteError):
                        continue
                    except OSError:
                        how = "closed"
                        break
                # Not read even now: reading would let the proxy's pending writes out.
                report("sent_all", sent >= total)
                report("how", how)
                """)
            #expect(seen["how"] == "'closed'", "\(seen)")
            #expect(seen["sent_all"] == "False")
            #expect(scenario.proxy.log.contains("client too slow"), "\(scenario.proxy.log)")
        }
    }
}
