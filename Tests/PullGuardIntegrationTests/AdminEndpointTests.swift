import Foundation
import PullGuardTestSupport
import Testing

/// The admin listener through the real binary, scraped with curl.
@Suite(.serialized) struct AdminEndpointTests {
    /// Site a trusts two CAs, so which anchor admitted a client must show in the label;
    /// site b trusts one.
    static let twoSitesTwoCAs = """
        listen: 127.0.0.1:0
        workers: 2
        admin: {listen: "127.0.0.1:0"}
        sites:
          - name: a
            server_names: [a.test, localhost]
            certificates:
              - cert: {PKI}/server.pem
                key: {PKI}/server.key
            upstream: {UPSTREAM}
            client_auth:
              trust: [{PKI}/root.pem, {PKI}/other-ca.pem]
          - name: b
            server_names: [b.test]
            certificates:
              - cert: {PKI}/server-b.pem
                key: {PKI}/server-b.key
            upstream: {UPSTREAM}
            client_auth:
              trust: [{PKI}/root.pem]
        """

    /// `curl` against the admin listener: status and body.
    static func admin(_ scenario: ProxyScenario, _ path: String, method: String = "GET") throws -> (status: Int?, body: String) {
        let port = try #require(scenario.proxy.adminPort)
        let result = try CommandRunner.run("curl", ["-sS", "--max-time", "10", "-X", method, "-o", "-", "-w", "\n%{http_code}",
                                                    "http://127.0.0.1:\(port)\(path)"], timeout: 20)
        var lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let code = lines.popLast().flatMap { Int($0) }
        return (code, lines.joined(separator: "\n"))
    }

    static func value(_ metrics: String, _ series: String) -> Double? {
        for line in metrics.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    @Test func metricsCountRequestsBySiteAndAdmissionsByAnchor() async throws {
        try await ProxyScenario.withConfig(Self.twoSitesTwoCAs) { (scenario) async throws in
            for _ in 0..<3 { #expect(try scenario.curl(client: "client", tls: "1.3", host: "a.test").status == 200) }
            for _ in 0..<2 { #expect(try scenario.curl(client: "other-ca-client", tls: "1.2", host: "a.test").status == 200) }
            #expect(try scenario.curl(client: "client", tls: "1.3", host: "b.test").status == 200)
            // Refused at b: other-ca is not trusted there.
            #expect(try scenario.curl(client: "other-ca-client", tls: "1.3", host: "b.test").status == nil)

            let config = try Self.admin(scenario, "/config")
            #expect(config.status == 200)
            let document = try #require(try JSONSerialization.jsonObject(with: Data(config.body.utf8)) as? [String: Any])
            let sites = try #require(document["sites"] as? [[String: Any]])
            let anchorsOfA = try #require(sites.first { $0["name"] as? String == "a" }?["trust_anchors"] as? [[String: Any]])
            let root = ProxyScenario.file("root.pem"), other = ProxyScenario.file("other-ca.pem")
            let rootSHA = try #require(anchorsOfA.first { $0["name"] as? String == root }?["sha256"] as? String)
            let otherSHA = try #require(anchorsOfA.first { $0["name"] as? String == other }?["sha256"] as? String)
            #expect(rootSHA != otherSHA)

            let metrics = try Self.admin(scenario, "/metrics")
            #expect(metrics.status == 200)
            let text = metrics.body
            #expect(Self.value(text, #"pullguard_requests_total{site="a",status_class="2xx",protocol="http/1.1"}"#) ?? 0 >= 5)
            #expect(Self.value(text, #"pullguard_requests_total{site="b",status_class="2xx",protocol="http/1.1"}"#) == 1)
            // Six requests one after another: each of the two workers' pools opens at most one
            // upstream connection and reuses it (both sites name the same upstream).
            let opened = Self.value(text, "pullguard_upstream_connections_opened_total") ?? 0
            #expect(opened >= 1 && opened <= 2, "\(opened)")
            #expect(Self.value(text, #"pullguard_client_certificates_admitted_total{site="a",anchor="\#(root)",anchor_sha256="\#(rootSHA)"}"#) == 3)
            #expect(Self.value(text, #"pullguard_client_certificates_admitted_total{site="a",anchor="\#(other)",anchor_sha256="\#(otherSHA)"}"#) == 2)
            #expect(Self.value(text, #"pullguard_client_certificates_admitted_total{site="b",anchor="\#(root)",anchor_sha256="\#(rootSHA)"}"#) == 1)
            #expect(Self.value(text, #"pullguard_site_tls_handshakes_total{site="b",result="refused_certificate"}"#) == 1)
            #expect(Self.value(text, "pullguard_client_certificates_refused_total") == 1)
            #expect(Self.value(text, "pullguard_config_generation") == 1)
            #expect((Self.value(text, #"pullguard_trust_anchor_not_after_seconds{site="a",anchor="\#(other)",anchor_sha256="\#(otherSHA)"}"#) ?? 0)
                    > Date().timeIntervalSince1970)
            #expect(Self.value(text, #"pullguard_server_certificate_not_after_seconds{site="b"}"#) != nil)
        }
    }

    @Test func healthReadinessAndMethods() async throws {
        try await ProxyScenario.withSite { (scenario) async throws in
            #expect(try Self.admin(scenario, "/healthz").status == 200)
            #expect(try Self.admin(scenario, "/readyz").status == 200)
            #expect(try Self.admin(scenario, "/nothing-here").status == 404)
            #expect(try Self.admin(scenario, "/metrics", method: "POST").status == 405)
        }
    }

    @Test func configCarriesNoKeyMaterialNorKeyPaths() async throws {
        try await ProxyScenario.withSite { (scenario) async throws in
            let config = try Self.admin(scenario, "/config")
            #expect(config.status == 200)
            #expect(config.body.contains("\"generation\" : 1"))
            #expect(!config.body.contains("BEGIN"))
            #expect(!config.body.contains("PRIVATE"))
            #expect(!config.body.contains(".key"))
            let key = try String(contentsOfFile: ProxyScenario.file("server.key"), encoding: .utf8)
            let keyBody = key.split(separator: "\n").dropFirst().first.map(String.init) ?? "unused"
            #expect(!config.body.contains(keyBody))
        }
    }

    @Test func adminOffBindsNothing() async throws {
        try await ProxyScenario.withSite(["--admin", "off"]) { (scenario) async throws in
            #expect(scenario.proxy.adminPort == nil)
            #expect(!scenario.proxy.log.contains("admin listening"))
            let ports = try Self.ownListeningPorts(of: scenario.proxy.process.processIdentifier)
            #expect(ports.contains(scenario.proxy.port))
            #expect(try Self.portsServingHealthz(ports.subtracting([scenario.proxy.port])).isEmpty)
        }
        try await ProxyScenario.withSite { (scenario) async throws in
            let admin = try #require(scenario.proxy.adminPort)
            let ports = try Self.ownListeningPorts(of: scenario.proxy.process.processIdentifier)
            #expect(ports.isSuperset(of: [scenario.proxy.port, admin]))
            #expect(try Self.portsServingHealthz(ports.subtracting([scenario.proxy.port])) == [admin])
        }
    }

    /// Which of `ports` answer `GET /healthz` on 127.0.0.1. A listening socket the child
    /// inherited from this test process (another test's server, running in parallel) is
    /// never accepted on by the child, so it cannot answer: only the child's own admin
    /// listener does.
    static func portsServingHealthz(_ ports: Set<Int>) throws -> Set<Int> {
        try Set(ports.filter { port in
            let result = try CommandRunner.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2",
                                                        "http://127.0.0.1:\(port)/healthz"], timeout: 10)
            return result.stdout == "200"
        })
    }

    /// Ports of the TCP sockets in LISTEN state that `pid` holds and this test process does
    /// not (a child may inherit descriptors of the parent's other tests running in parallel).
    /// Compared by socket, not by port: a parallel test's server in this process may listen
    /// on the same port number on another address.
    static func ownListeningPorts(of pid: Int32) throws -> Set<Int> {
        try listeningPorts(inodes: socketInodes(of: pid).subtracting(socketInodes(of: getpid())))
    }

    static func socketInodes(of pid: Int32) throws -> Set<String> {
        let fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")
        var inodes: Set<String> = []
        for fd in fds {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
                  target.hasPrefix("socket:[") else { continue }
            inodes.insert(String(target.dropFirst("socket:[".count).dropLast()))
        }
        return inodes
    }

    /// The ports of those sockets that are rows of /proc/net/tcp{,6} in state 0A (LISTEN).
    static func listeningPorts(inodes: Set<String>) throws -> Set<Int> {
        var ports: Set<Int> = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            // Read to its end: a /proc table reports size 0, and with the whole suite's sockets
            // it is longer than what one read of an apparently empty file returns.
            guard let handle = FileHandle(forReadingAtPath: table) else { continue }
            let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
            try? handle.close()
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                guard fields.count > 9, fields[3] == "0A", inodes.contains(String(fields[9])),
                      let port = fields[1].split(separator: ":").last.flatMap({ Int($0, radix: 16) }) else { continue }
                ports.insert(port)
            }
        }
        return ports
    }

    /// The pool's purge runs on the real event loops: an upstream connection unused for a
    /// whole interval (5 s) is closed, and counted, without any request to trigger it.
    @Test func anUnusedUpstreamConnectionIsPurged() async throws {
        try await ProxyScenario.withConfig(Self.twoSitesTwoCAs) { (scenario) async throws in
            #expect(try scenario.curl(client: "client", tls: "1.3", host: "a.test").status == 200)
            var opened: Double?, purged: Double?
            let deadline = ContinuousClock.now + .seconds(20)
            repeat {
                try await Task.sleep(for: .milliseconds(500))
                let text = try Self.admin(scenario, "/metrics").body
                opened = Self.value(text, "pullguard_upstream_connections_opened_total")
                purged = Self.value(text, "pullguard_upstream_connections_purged_total")
            } while purged != opened && ContinuousClock.now < deadline
            #expect(opened == 1, "one request, one connection")
            #expect(purged == 1, "closed within two intervals of its use")
        }
    }
}

/// The generation metrics and `/config` across reloads (SIGHUP) through the binary.
@Suite(.serialized) struct AdminReloadMetricsTests {
    static func config(trust: String) -> String {
        """
        listen: 127.0.0.1:0
        workers: 1
        sites:
          - name: a
            server_names: [localhost]
            certificates:
              - cert: {PKI}/server.pem
                key: {PKI}/server.key
            upstream: {UPSTREAM}
            client_auth:
              trust: [\(trust)]
        """
    }

    @Test func reloadsMoveTheGenerationAndSeriesKeepCounting() async throws {
        let file = ProxyScenario.pkiDirectory.appendingPathComponent("reload-\(UUID().uuidString).yaml")
        var upstreamPort = 0
        func write(_ yaml: String) throws {
            try Data(yaml.replacingOccurrences(of: "{UPSTREAM}", with: "http://127.0.0.1:\(upstreamPort)")
                .replacingOccurrences(of: "{PKI}", with: ProxyScenario.pkiDirectory.path).utf8).write(to: file)
        }
        try await ProxyScenario.with({ port in
            upstreamPort = port
            try write(Self.config(trust: "{PKI}/root.pem"))
            return ["run", "--config", file.path]
        }) { (scenario) async throws in
            #expect(try scenario.curl(client: "client", tls: "1.3").status == 200)
            // Generation 2 trusts both CAs.
            try write(Self.config(trust: "{PKI}/root.pem, {PKI}/other-ca.pem"))
            kill(scenario.proxy.process.processIdentifier, SIGHUP)
            #expect(await scenario.proxy.eventuallyLogs("generation=2"))
            #expect(try scenario.curl(client: "client", tls: "1.3").status == 200)
            #expect(try scenario.curl(client: "other-ca-client", tls: "1.3").status == 200)
            // An invalid configuration changes nothing and is counted.
            try write("listen: [")
            kill(scenario.proxy.process.processIdentifier, SIGHUP)
            #expect(await scenario.proxy.eventuallyLogs("reload failed"))

            let metrics = try AdminEndpointTests.admin(scenario, "/metrics").body
            #expect(AdminEndpointTests.value(metrics, "pullguard_config_generation") == 2)
            #expect(AdminEndpointTests.value(metrics, #"pullguard_config_reload_total{result="success"}"#) == 1)
            #expect(AdminEndpointTests.value(metrics, #"pullguard_config_reload_total{result="failure"}"#) == 1)
            // One series for site a across both generations.
            #expect(AdminEndpointTests.value(metrics, #"pullguard_requests_total{site="a",status_class="2xx",protocol="http/1.1"}"#) == 3)
            let config = try AdminEndpointTests.admin(scenario, "/config").body
            #expect(config.contains("\"generation\" : 2"))
            #expect(config.contains(ProxyScenario.file("other-ca.pem")))
        }
    }
}
