import NIOCore
import PullGuardTestSupport
import Testing
@testable import PullGuardCore

/// Upgrades against the in-process proxy, with a raw-bytes upstream that answers a
/// WebSocket upgrade with 101 and echoes (`TunnelEchoUpstream`) and a raw Python client.
@Suite(.serialized) struct ProxyUpgradeTests {
    static let upgrade = "GET /chat HTTP/1.1\\r\\nHost: a.example\\r\\nConnection: Upgrade\\r\\nUpgrade: websocket\\r\\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nSec-WebSocket-Version: 13\\r\\n"
        + "X-Client-Verify: FORGED\\r\\n\\r\\n"

    func withEcho(tunnelIdle: TimeAmount = .seconds(60),
                  _ body: (ProxyTestHarness, TunnelEchoUpstream) async throws -> Void) async throws {
        let echo = try await TunnelEchoUpstream.start()
        let harness = try await ProxyTestHarness.start(upstreamOverride: UpstreamAddress(host: "127.0.0.1", port: echo.port),
                                                       timeouts: ProxyTimeouts(tunnelIdle: tunnelIdle))
        do {
            try await body(harness, echo)
        } catch {
            try? await harness.shutdown()
            try? await echo.shutdown()
            throw error
        }
        try await harness.shutdown()
        try await echo.shutdown()
    }

    /// 101 relayed, the greeting sent behind it arrives, bytes both ways are echoed, the
    /// upstream saw the upgrade and PullGuard's identity headers (not the forged one).
    @Test func websocketBecomesAnEchoingTunnel() async throws {
        try await withEcho { harness, echo in
            let seen = try RawClient.run(port: harness.port, """
                s.sendall(b"\(Self.upgrade)")
                head, how = read_until(s, b"\\r\\n\\r\\n")
                report("status", head.split(b"\\r\\n")[0])
                report("upgrade_header", b"\\r\\nupgrade: websocket" in head.lower())
                rest = head.split(b"\\r\\n\\r\\n", 1)[1]
                if b"hello\\n" not in rest:
                    more, how = read_until(s, b"hello\\n")
                    rest += more
                report("greeting", rest)
                for i in range(3):
                    s.sendall(b"frame-%d;" % i)
                    data, how = read_until(s, b"frame-%d;" % i)
                    report("echo%d" % i, data)
                """)
            #expect(seen["status"] == "b'HTTP/1.1 101 Switching Protocols'", "\(seen)")
            #expect(seen["upgrade_header"] == "True")
            #expect(seen["greeting"] == "b'hello\\n'", "\(seen)")
            #expect(seen["echo0"] == "b'frame-0;'")
            #expect(seen["echo2"] == "b'frame-2;'")
            let head = try #require(echo.heads.first).lowercased()
            #expect(head.contains("\r\nupgrade: websocket"))
            #expect(head.contains("\r\nconnection: upgrade"))
            #expect(head.contains("\r\nsec-websocket-key: dghlihnhbxbszsbub25jzq=="))
            #expect(head.contains("\r\nx-client-verify: success"))
            #expect(!head.contains("forged"))
            #expect(harness.metrics.snapshot()[.websocketTunnels] == 1)
        }
    }

    /// A tunnel with no bytes either way is closed after tunnel_idle, on both sides.
    @Test func idleTunnelIsClosed() async throws {
        try await withEcho(tunnelIdle: .milliseconds(500)) { harness, echo in
            let seen = try RawClient.run(port: harness.port, """
                s.sendall(b"\(Self.upgrade)")
                read_until(s, b"hello\\n")
                s.sendall(b"ping")
                read_until(s, b"ping")
                data, how = wait_closed(s, 5)
                report("how", how)
                """)
            #expect(seen["how"] == "'closed'", "\(seen)")
            for _ in 0..<50 where echo.closedConnections == 0 { try await Task.sleep(for: .milliseconds(20)) }
            #expect(echo.closedConnections == 1)
        }
    }

    /// Any other upgrade token (here h2c) is removed and the connection keeps parsing:
    /// a request pipelined right behind the upgrade request (which NIO's decoder stopped
    /// at) is answered too, and the connection stays open.
    @Test func otherUpgradeIsRemovedAndParsingGoesOn() async throws {
        try await withEcho { harness, echo in
            let seen = try RawClient.run(port: harness.port, """
                s.sendall(b"GET /one HTTP/1.1\\r\\nHost: a.example\\r\\nConnection: Upgrade, HTTP2-Settings\\r\\nUpgrade: h2c\\r\\nHTTP2-Settings: AAMAAABkAAQAAP__\\r\\n\\r\\nGET /two HTTP/1.1\\r\\nHost: a.example\\r\\n\\r\\n")
                data = b""
                while data.count(b"plain\\n") < 2:
                    more, how = read_until(s, b"plain\\n")
                    if how != "found":
                        break
                    data += more
                report("statuses", data.count(b"HTTP/1.1 200 OK\\r\\n"))
                report("close", b"connection: close" in data.lower())
                s.sendall(b"GET /three HTTP/1.1\\r\\nHost: a.example\\r\\n\\r\\n")
                more, how = read_until(s, b"plain\\n")
                report("third", more.split(b"\\r\\n")[0])
                """)
            #expect(seen["statuses"] == "2", "\(seen)")
            #expect(seen["close"] == "False")
            #expect(seen["third"] == "b'HTTP/1.1 200 OK'")
            let heads = echo.heads.map { $0.lowercased() }
            #expect(heads.count == 3)
            #expect(heads.first.map { !$0.contains("upgrade") && !$0.contains("http2-settings") } == true, "\(heads)")
            #expect(heads.dropFirst().first?.hasPrefix("get /two ") == true)
        }
    }

    /// An upstream that refuses the upgrade (no 101): its answer is relayed and the
    /// connection goes on as HTTP/1.1, never stuck.
    @Test func refusedUpgradeIsAnsweredAndParsingGoesOn() async throws {
        let harness = try await ProxyTestHarness.start()
        let seen = try RawClient.run(port: harness.port, """
            s.sendall(b"\(Self.upgrade)")
            data, how = read_until(s, b"HTTP/1.1\\n")
            report("status", data.split(b"\\r\\n")[0])
            s.sendall(b"GET /after HTTP/1.1\\r\\nHost: a.example\\r\\n\\r\\n")
            data, how = read_until(s, b"HTTP/1.1\\n")
            report("after", data.split(b"\\r\\n")[0])
            """)
        try await harness.shutdown()
        #expect(seen["status"] == "b'HTTP/1.1 200 OK'", "\(seen)")
        #expect(seen["after"] == "b'HTTP/1.1 200 OK'")
        #expect(harness.upstream.requests.map(\.uri) == ["/chat", "/after"])
    }

    /// Bytes a client sends right behind its upgrade request, before the 101, are not lost.
    @Test func bytesBehindTheUpgradeRequestReachTheUpstream() async throws {
        try await withEcho { harness, _ in
            let seen = try RawClient.run(port: harness.port, """
                s.sendall(b"\(Self.upgrade)early;")
                data, how = read_until(s, b"early;")
                report("tail", data.split(b"\\r\\n\\r\\n", 1)[1])
                """)
            #expect(seen["tail"] == "b'hello\\nearly;'", "\(seen)")
        }
    }
}
