import Foundation
import PullGuardTestSupport
import Testing

/// `client_ips` through the real binary: a client outside the list gets its connection
/// closed before any TLS byte, one inside is served, and a reload changes the list for
/// new connections. Loopback has all of 127.0.0.0/8, so a client can pick its source.
@Suite(.serialized) struct ClientIPsTests {
    static func config(_ clientIPs: String) -> String {
        """
        listen: 127.0.0.1:0
        workers: 1
        log_level: debug
        client_ips: \(clientIPs)
        sites:
          - name: a
            certificates: [{cert: {PKI}/server.pem, key: {PKI}/server.key}]
            upstream: {UPSTREAM}
            client_auth: {trust: [{PKI}/root.pem]}
        """
    }

    /// A raw client from `source`: sends a real ClientHello (TLS 1.3, no certificate) and
    /// prints how many bytes came back before the close. The server's first flight starts with a handshake record (0x16).
    static let rawClient = #"""
    import socket, ssl, sys
    port, source = int(sys.argv[1]), sys.argv[2]
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = outgoing.read()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(5)
    sock.bind((source, 0))
    received = b""
    try:
        sock.connect(("127.0.0.1", port))  # a reset may already show here
        try:
            sock.sendall(hello)
        except OSError:
            pass  # already closed by the server: nothing was read from us
        chunk = sock.recv(4096)  # the first flight is enough: the handshake started
        received += chunk
    except ConnectionResetError:
        print("reset")
    except socket.timeout:
        print("timeout")  # neither bytes nor a close: no "received" line, the test fails
        sys.exit(0)
    print("received", len(received), "first", received[:1].hex() or "none")
    """#

    /// Bytes the server sent to a raw ClientHello from `source`, before it closed or 5 s.
    static func bytesReceived(port: Int, from source: String) throws -> String {
        let result = try CommandRunner.run("python3", ["-c", rawClient, "\(port)", source], timeout: 20)
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func addressOutsideTheListIsClosedBeforeAnyTLSByte() async throws {
        try await ProxyScenario.withConfig(Self.config("[127.0.0.2/32]")) { scenario in
            let refused = try Self.bytesReceived(port: scenario.proxy.port, from: "127.0.0.1")
            #expect(refused.hasSuffix("received 0 first none"), "\(refused)")
            let curl = try scenario.curl(client: "client", tls: "1.3")
            #expect(curl.status == nil)
            #expect(scenario.upstream.requests.isEmpty)
            #expect(await scenario.proxy.eventuallyLogs("reason=connections_refused_client_ip_total"), "log: \(scenario.proxy.log)")
            // The refusals never reached OpenSSL: no handshake of any kind was counted.
            let metrics = try AdminEndpointTests.admin(scenario, "/metrics").body
            #expect(AdminEndpointTests.value(metrics, "pullguard_connections_refused_client_ip_total") == 2)
            #expect(AdminEndpointTests.value(metrics, "pullguard_tls_handshakes_failed_total") == 0)
            #expect(AdminEndpointTests.value(metrics, "pullguard_tls_handshakes_abandoned_total") == 0)
            #expect(AdminEndpointTests.value(metrics, "pullguard_client_certificates_missing_total") == 0)
            // The listed address gets a handshake (a TLS record, 0x16) and curl its 200.
            let served = try Self.bytesReceived(port: scenario.proxy.port, from: "127.0.0.2")
            let count = served.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            #expect(count >= 5 && served.hasSuffix("first 16"), "\(served)")
            let listed = try scenario.curl(client: "client", tls: "1.3", extra: ["--interface", "127.0.0.2"])
            #expect(listed.status == 200, "\(listed.stderr)")
        }
    }

    /// A client that sends nothing: a FIN would read as end of stream, the reset as ECONNRESET.
    static let silentClient = #"""
    import socket, sys
    try:
        # The reset can arrive before the connect call returns (it then reports it).
        sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
        data = sock.recv(4096)
        print("eof" if not data else "data")
    except ConnectionResetError:
        print("reset")
    except socket.timeout:
        print("timeout")
    """#

    /// Refused by address, the connection is reset (SO_LINGER 0), so the server keeps no
    /// TIME_WAIT for it: a flood of refused clients leaves no kernel state behind.
    @Test func refusedConnectionIsResetLeavingNoTimeWait() async throws {
        try await ProxyScenario.withConfig(Self.config("[127.0.0.2/32]")) { scenario in
            for _ in 0..<3 {
                let result = try CommandRunner.run("python3", ["-c", Self.silentClient, "\(scenario.proxy.port)"], timeout: 20)
                #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "reset", "\(result.stdout) \(result.stderr)")
            }
            let sockets = try CommandRunner.run("ss", ["-Htan", "state", "time-wait", "( sport = :\(scenario.proxy.port) )"],
                                                timeout: 10)
            #expect(sockets.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(sockets.stdout)")
        }
    }

    @Test func listedAddressIsServed() async throws {
        try await ProxyScenario.withConfig(Self.config("[127.0.0.1/32]")) { scenario in
            let result = try scenario.curl(client: "client", tls: "1.3")
            #expect(result.status == 200, "\(result.stderr)")
            #expect(scenario.upstream.requests.count == 1)
        }
    }

    /// A reload swaps the list for the next accept; a list file is read again on reload.
    @Test func reloadChangesTheListForNewConnections() async throws {
        let file = ProxyScenario.pkiDirectory.appendingPathComponent("client-ips-\(UUID().uuidString).txt")
        try Data("# loopback and a documentation network\n127.0.0.1/32\n198.51.100.0/24\n".utf8).write(to: file)
        try await ReloadScenario.withConfig(Self.config("[127.0.0.2/32]")) { scenario in
            #expect(try scenario.curl(client: "client").status == nil)
            #expect(try await scenario.reload(Self.config("[{file: \(file.path)}]")))
            let admitted = try scenario.curl(client: "client")
            #expect(admitted.status == 200, "\(admitted.stderr)")
            // `/config` shows the list now serving, in numbers.
            let config = try AdminEndpointTests.admin(ProxyScenario(upstream: scenario.upstream, proxy: scenario.proxy),
                                                      "/config").body
            let object = try JSONSerialization.jsonObject(with: Data(config.utf8)) as? [String: Any]
            #expect(object?["client_ips"] as? [String: Int] == ["entries": 2, "ipv4_ranges": 2, "ipv6_ranges": 0], "\(config)")
            try Data("127.0.0.3/32\n".utf8).write(to: file)
            #expect(await scenario.sighup())
            #expect(try scenario.curl(client: "client").status == nil)
            // A bad line fails the reload and keeps the running list.
            try Data("127.0.0.1/33\n".utf8).write(to: file)
            #expect(await !scenario.sighup())
            #expect(await scenario.proxy.eventuallyLogs(":1: '127.0.0.1/33'"), "log: \(scenario.proxy.log)")
            #expect(try scenario.curl(client: "client").status == nil)
        }
    }
}
