import Foundation
import NIOHTTP1
import Testing
import PullGuardTestSupport
@testable import PullGuardCore

/// The proxy on real loopback sockets, without TLS: a fake handshake event, then
/// `HTTPProxy.configure`, in front of `BuiltInUpstream`, driven by curl.
@Suite(.serialized, .timeLimit(.minutes(1))) struct ProxyEndToEndTests {
    /// curl's `-w` suffix: status code and new connections on its own last line.
    static let status = ["-w", "\n%{http_code} %{num_connects}\n"]

    @Test func getForwardsIdentityAndStripsSpoofing() async throws {
        let harness = try await ProxyTestHarness.start()
        let proxyPort = harness.port
        let output = try await curl(Self.status + [
            "-H", "X_Client_Verify: SPOOFED", "-H", "x-client-cert-subject: CN=admin",
            "-H", "CF-Connecting-IP: 198.51.100.7", "-H", "X-Forwarded-For: 203.0.113.9",
            "\(harness.base)/hello?x=1",
        ])
        try await harness.shutdown()
        #expect(output.hasPrefix("hello from the PullGuard demo upstream\n"))
        #expect(output.contains("X-Client-Verify: SUCCESS\n"))
        #expect(output.contains("X-Client-Cert-Subject: CN=client,O=Example\n"))
        #expect(output.contains("GET /hello?x=1 HTTP/1.1\n"))
        #expect(output.hasSuffix("\n200 1\n"))
        let seen = try #require(harness.upstream.requests.first)
        #expect(seen.headers[canonicalForm: "x-client-verify"] == ["SUCCESS"])
        #expect(seen.headers["X-Client-Cert-Subject"] == ["CN=client,O=Example"])
        #expect(!seen.headers.contains { $0.name.lowercased().replacingOccurrences(of: "_", with: "-") == "x-client-verify" && $0.value == "SPOOFED" })
        #expect(!seen.headers.contains(name: "cf-connecting-ip"))
        #expect(seen.headers["X-Forwarded-For"] == ["203.0.113.9, 127.0.0.1"])
        #expect(seen.headers["X-Forwarded-Proto"] == ["https"])
        #expect(seen.headers["X-Forwarded-Host"] == ["127.0.0.1:\(proxyPort)"])
    }

    @Test func chunkedPostOfOneMebibyteIsEchoedIntact() async throws {
        let harness = try await ProxyTestHarness.start()
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("pullguard-proxy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var generator = SystemRandomNumberGenerator()
        let payload = Data((0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let input = directory.appendingPathComponent("in.bin")
        let output = directory.appendingPathComponent("out.bin")
        try payload.write(to: input)
        let status = try await curl([
            "-H", "Transfer-Encoding: chunked", "-H", "Expect:", "--data-binary", "@\(input.path)",
            "-o", output.path, "-w", "%{http_code}", "\(harness.base)/echo",
        ])
        try await harness.shutdown()
        #expect(status == "200")
        let echoed = try Data(contentsOf: output)
        #expect(echoed.count == payload.count)
        #expect(echoed == payload)
        #expect(harness.upstream.requests.first?.headers[canonicalForm: "transfer-encoding"] == ["chunked"])
    }

    @Test func keepAliveReusesBothConnections() async throws {
        let harness = try await ProxyTestHarness.start()
        let output = try await curl(Self.status + ["\(harness.base)/one", "\(harness.base)/two"])
        try await harness.shutdown()
        // curl opened one connection for the first request and none for the second.
        #expect(output.contains("\n200 1\n"))
        #expect(output.hasSuffix("\n200 0\n"))
        let seen = harness.upstream.requests
        #expect(seen.map(\.uri) == ["/one", "/two"])
        #expect(Set(seen.map(\.connectionNumber)).count == 1)
    }

    /// Three requests in one TCP write: three responses, in order, on one connection,
    /// and each request reaches the upstream once.
    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let harness = try await ProxyTestHarness.start()
        let host = "127.0.0.1:\(harness.port)"
        let requests = "GET /first HTTP/1.1\r\nHost: \(host)\r\n\r\n"
            + "GET /second HTTP/1.1\r\nHost: \(host)\r\n\r\n"
            + "GET /third HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n"
        let result = try rawExchange(port: harness.port, sending: requests)
        try await harness.shutdown()
        // The demo upstream's bodies end in "\n", so each status line follows a body directly.
        let statusLines = result.stdout.components(separatedBy: "HTTP/1.1 200 OK\r\n").count - 1
        #expect(statusLines == 3, "\(result.stdout)\n\(result.stderr)")
        #expect(!result.stdout.contains("HTTP/1.1 4") && !result.stdout.contains("HTTP/1.1 5"))
        let order = ["GET /first ", "GET /second ", "GET /third "].map { result.stdout.range(of: $0)?.lowerBound }
        #expect(order.allSatisfy { $0 != nil })
        #expect(order.compactMap { $0 } == order.compactMap { $0 }.sorted())
        #expect(harness.upstream.requests.map(\.uri) == ["/first", "/second", "/third"])
    }

    /// A good request, then bytes that do not parse, in one write: the good one is
    /// answered first, then 400, then the connection closes.
    @Test func malformedBytesBehindAPipelinedRequestWaitTheirTurn() async throws {
        let harness = try await ProxyTestHarness.start()
        let bytes = "GET /good HTTP/1.1\r\nHost: 127.0.0.1:\(harness.port)\r\n\r\nGARBAGE \u{01}\r\n\r\n"
        let result = try rawExchange(port: harness.port, sending: bytes)
        try await harness.shutdown()
        let ok = result.stdout.range(of: "HTTP/1.1 200 OK\r\n")?.lowerBound
        let bad = result.stdout.range(of: "HTTP/1.1 400 Bad Request\r\n")?.lowerBound
        #expect(ok != nil && bad != nil && ok! < bad!, "\(result.stdout)\n\(result.stderr)")
        #expect(harness.upstream.requests.map(\.uri) == ["/good"])
    }

    /// Sends `bytes` in one write and reads until the proxy closes (python3, loopback).
    func rawExchange(port: Int, sending bytes: String) throws -> CommandResult {
        let script = """
        import socket, sys
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
        s.sendall(sys.stdin.buffer.read())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        sys.stdout.write(data.decode("latin-1"))
        """
        return try CommandRunner.run("python3", ["-c", script, "\(port)"], stdin: bytes)
    }

    /// An upstream given by name goes through the resolver (addresses are connected to
    /// directly): `localhost` reaches the upstream listening on 127.0.0.1.
    @Test func upstreamNamedByAHostNameIsResolved() async throws {
        let harness = try await ProxyTestHarness.start(upstreamHost: "localhost")
        let output = try await curl(Self.status + ["\(harness.base)/by-name"])
        try await harness.shutdown()
        #expect(output.hasSuffix("\n200 1\n"), "\(output)")
        #expect(harness.upstream.requests.map(\.uri) == ["/by-name"])
    }

    @Test func upstreamDownIsBadGateway() async throws {
        let port = try await ProxyTestHarness.closedPort()
        let harness = try await ProxyTestHarness.start(upstreamOverride: UpstreamAddress(host: "127.0.0.1", port: port))
        let output = try await curl(Self.status + ["\(harness.base)/", "\(harness.base)/again"])
        try await harness.shutdown()
        let line = "502 Bad Gateway: upstream http://127.0.0.1:\(port) refused the connection\n"
        // Both answered on the same client connection: the proxy keeps serving.
        #expect(output == line + "\n502 1\n" + line + "\n502 0\n")
        #expect(harness.metrics.snapshot()[.upstreamErrors] == 2)
    }

    @Test func slowUpstreamIsGatewayTimeout() async throws {
        let harness = try await ProxyTestHarness.start(timeouts: ProxyTimeouts(upstreamResponse: .milliseconds(300)))
        let upstreamPort = harness.upstream.port
        let output = try await curl(Self.status + ["\(harness.base)/slow?ms=3000", "\(harness.base)/after"])
        try await harness.shutdown()
        let line = "504 Gateway Timeout: upstream http://127.0.0.1:\(upstreamPort) did not answer within 300ms\n"
        #expect(output.hasPrefix(line + "\n504 1\n"))
        #expect(output.hasSuffix("\n200 0\n"))
    }

    @Test func hostOfAnotherSiteIsMisdirected() async throws {
        let harness = try await ProxyTestHarness.start()
        let output = try await curl(Self.status + ["-H", "Host: B.example:443", "\(harness.base)/secret"])
        try await harness.shutdown()
        #expect(output.hasSuffix("\n421 1\n"))
        #expect(harness.upstream.requests.isEmpty)
    }

    @Test func httpOneOneWithoutHostIsBadRequest() async throws {
        let harness = try await ProxyTestHarness.start()
        let output = try await curl(Self.status + ["-H", "Host:", "\(harness.base)/"])
        try await harness.shutdown()
        #expect(output.hasSuffix("\n400 1\n"))
        #expect(harness.upstream.requests.isEmpty)
    }

    @Test func clientConnectionCloseIsHonoured() async throws {
        let harness = try await ProxyTestHarness.start()
        let output = try await curl(["-i", "-H", "Connection: close"] + Self.status
                                    + ["\(harness.base)/one", "\(harness.base)/two"])
        try await harness.shutdown()
        #expect(output.lowercased().contains("\r\nconnection: close\r\n"))
        // The second request needed a new connection.
        #expect(output.hasSuffix("\n200 1\n"))
        #expect(harness.upstream.requests.count == 2)
    }

    @Test func headKeepsFramingWithoutBody() async throws {
        let harness = try await ProxyTestHarness.start()
        let output = try await curl(["-I"] + Self.status + ["\(harness.base)/", "\(harness.base)/next"])
        try await harness.shutdown()
        #expect(output.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(output.lowercased().contains("content-length: "))
        #expect(output.hasSuffix("\n200 0\n"))
        #expect(harness.upstream.requests.map(\.method) == [.HEAD, .HEAD])
    }
}
