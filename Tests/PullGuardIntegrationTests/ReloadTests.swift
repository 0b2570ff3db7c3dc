import Foundation
import PullGuardTestSupport
import Testing

/// Reload through the binary: SIGHUP after rewriting the configuration file, with real
/// clients (curl, Python `ssl` holding sessions and connections across the reload).
@Suite(.serialized) struct ReloadTests {
    static func config(trust: String, extra: String = "", cert: String = "server", key: String? = nil) -> String {
        """
        listen: 127.0.0.1:0
        workers: 1
        \(extra)
        sites:
          - name: a
            server_names: [localhost]
            certificates: [{cert: {PKI}/\(cert).pem, key: {PKI}/\(key ?? cert).key}]
            upstream: {UPSTREAM}
            client_auth: {trust: \(trust)}
        """
    }

    static let both = "[{PKI}/root.pem, {PKI}/other-ca.pem]"
    static let otherOnly = "[{PKI}/other-ca.pem]"

    static var scripts: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts")
    }

    static func marker(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("pullguard-\(name)-\(UUID().uuidString)").path
    }

    static func waitFor(_ path: String, within limit: Duration = .seconds(20)) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while !FileManager.default.fileExists(atPath: path) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return FileManager.default.fileExists(atPath: path)
    }

    struct Step: Decodable {
        var reused: Bool?
        var status: Int?
        var error: String?
    }

    /// Two connections of the Python session client, the second offering the first's
    /// session; `between` runs after the first.
    static func sessionAcrossReload(_ scenario: ReloadScenario, tls: String,
                                    between: () async throws -> Void) async throws -> [Step] {
        let mark = marker("mark"), go = marker("go")
        let arguments = [scripts.appendingPathComponent("tls_session_client.py").path, "\(scenario.proxy.port)",
                         ProxyScenario.file("root.pem"), tls, ProxyScenario.file("client.pem"), ProxyScenario.file("client.key"),
                         "localhost:localhost:mark=\(mark)", "localhost:localhost:resume:wait=\(go)"]
        let client = Task { try await OffPool.run { try CommandRunner.run("python3", arguments, timeout: 60) } }
        #expect(await waitFor(mark))
        try await between()
        _ = FileManager.default.createFile(atPath: go, contents: nil)
        let result = try await client.value
        #expect(result.exitCode == 0, "client failed: \(result.stderr)")
        return try result.stdout.split(separator: "\n").map { try JSONDecoder().decode(Step.self, from: Data($0.utf8)) }
    }

    @Test func removedCAIsRefusedForNewHandshakes() async throws {
        try await ReloadScenario.withConfig(Self.config(trust: Self.both)) { (scenario: ReloadScenario) async throws in
            #expect(try scenario.curl(client: "client").status == 200)
            #expect(try scenario.curl(client: "other-ca-client").status == 200)
            #expect(try await scenario.reload(Self.config(trust: Self.otherOnly)))
            #expect(try scenario.curl(client: "client").status == nil, "the removed CA still admits")
            #expect(try scenario.curl(client: "other-ca-client").status == 200)
            #expect(scenario.proxy.log.contains("generation=2"))
        }
    }

    @Test(arguments: ["1.2", "1.3"]) func removedCAIsRefusedOnResumption(tls: String) async throws {
        try await ReloadScenario.withConfig(Self.config(trust: Self.both)) { (scenario: ReloadScenario) async throws in
            let steps = try await Self.sessionAcrossReload(scenario, tls: tls) { () async throws in
                #expect(try await scenario.reload(Self.config(trust: Self.otherOnly)))
            }
            #expect(steps.count == 2)
            #expect(steps.first?.status == 200)
            #expect(steps.last?.reused != true, "a session verified under the removed CA resumed")
            #expect(steps.last?.status == nil)
            #expect(scenario.upstream.requests.count == 1)
        }
    }

    /// A reload that leaves the site's trust alone must not cost its clients a full handshake.
    @Test(arguments: ["1.2", "1.3"]) func unchangedTrustKeepsSessions(tls: String) async throws {
        try await ReloadScenario.withConfig(Self.config(trust: Self.both)) { (scenario: ReloadScenario) async throws in
            let steps = try await Self.sessionAcrossReload(scenario, tls: tls) { () async throws in
                #expect(try await scenario.reload(Self.config(trust: Self.both, extra: "timeouts: {client_idle: 30s}")))
            }
            #expect(steps.last?.reused == true)
            #expect(steps.last?.status == 200)
        }
    }

    @Test func invalidConfigurationChangesNothing() async throws {
        try await ReloadScenario.withConfig(Self.config(trust: Self.both)) { (scenario: ReloadScenario) async throws in
            let broken = Self.config(trust: "[{PKI}/missing-ca.pem]", extra: "limitz: {}")
            #expect(try await scenario.reload(broken) == false)
            #expect(await scenario.proxy.eventuallyLogs("limitz"), "the unknown key is named")
            #expect(await scenario.proxy.eventuallyLogs("missing-ca.pem"), "the missing file is named")
            #expect(await scenario.proxy.eventuallyLogs("still serving generation 1"))
            #expect(try scenario.curl(client: "client").status == 200, "the last good generation serves")
            // A key that does not match its certificate is refused too.
            #expect(try await scenario.reload(Self.config(trust: Self.both, key: "server-b")) == false)
            #expect(try scenario.curl(client: "client").status == 200)
            #expect(try await scenario.reload(Self.config(trust: Self.otherOnly)))
            #expect(try scenario.curl(client: "client").status == nil)
        }
    }

    @Test func listenerChangeNeedsARestartAndTheRestApplies() async throws {
        try await ReloadScenario.withConfig(Self.config(trust: Self.both)) { (scenario: ReloadScenario) async throws in
            let moved = Self.config(trust: Self.otherOnly).replacingOccurrences(of: "listen: 127.0.0.1:0", with: "listen: 127.0.0.1:1")
            #expect(try await scenario.reload(moved))
            #expect(await scenario.proxy.eventuallyLogs("changed setting needs a restart; still running with listen: 127.0.0.1:0"))
            #expect(try scenario.curl(client: "client").status == nil, "the trust change was not applied")
            #expect(try scenario.curl(client: "other-ca-client").status == 200, "the listener moved")
        }
    }

    /// A connection of the replaced generation that never finishes its request is closed
    /// at `drain_timeout`, not left open.
    @Test func replacedConnectionsAreClosedAtDrainTimeout() async throws {
        let config = Self.config(trust: Self.both, extra: "drain_timeout: 300ms")
        try await ReloadScenario.withConfig(config) { (scenario: ReloadScenario) async throws in
            let result = try await Self.heldConnection(scenario, mode: "idle-forever") { () async throws in
                #expect(try await scenario.reload(Self.config(trust: Self.otherOnly, extra: "drain_timeout: 300ms")))
            }
            #expect(result["closed"] == .bool(true), "a half-sent request kept its old-generation connection open")
            #expect(await scenario.proxy.eventuallyLogs("still open after drain_timeout"))
        }
    }

    @Test func serverCertificateIsSwapped() async throws {
        try await ReloadScenario.withConfig(Self.config(trust: Self.both)) { (scenario: ReloadScenario) async throws in
            func served() throws -> String {
                let script = "openssl s_client -connect 127.0.0.1:\(scenario.proxy.port) -servername localhost "
                    + "-cert \(ProxyScenario.file("client.pem")) -key \(ProxyScenario.file("client.key")) </dev/null 2>/dev/null"
                    + " | openssl x509 -noout -fingerprint -sha256"
                return try CommandRunner.run("bash", ["-c", script]).stdout
            }
            func fingerprint(_ name: String) throws -> String {
                try CommandRunner.run("openssl", ["x509", "-in", ProxyScenario.file("\(name).pem"), "-noout", "-fingerprint", "-sha256"]).stdout
            }
            #expect(try served() == fingerprint("server"))
            #expect(try await scenario.reload(Self.config(trust: Self.both, cert: "server-b")))
            #expect(try served() == fingerprint("server-b"))
        }
    }

    /// Runs `keepalive_client.py` in `mode`; `during` runs once the client says it is ready.
    static func heldConnection(_ scenario: ReloadScenario, mode: String, slowMilliseconds: Int = 3000,
                               during: () async throws -> Void) async throws -> [String: JSONValue] {
        let mark = marker("mark"), go = marker("go")
        let arguments = [scripts.appendingPathComponent("keepalive_client.py").path, "\(scenario.proxy.port)",
                         ProxyScenario.file("root.pem"), ProxyScenario.file("client.pem"), ProxyScenario.file("client.key"),
                         "localhost", mode, mark, go, "\(slowMilliseconds)"]
        let client = Task { try await OffPool.run { try CommandRunner.run("python3", arguments, timeout: 60) } }
        #expect(await waitFor(mark))
        try await during()
        _ = FileManager.default.createFile(atPath: go, contents: nil)
        let result = try await client.value
        #expect(result.exitCode == 0, "client failed: \(result.stderr)")
        return try JSONDecoder().decode([String: JSONValue].self, from: Data(result.stdout.utf8))
    }

    @Test func idleKeepAliveConnectionOfTheOldGenerationIsClosed() async throws {
        try await ReloadScenario.withConfig(Self.config(trust: Self.both)) { (scenario: ReloadScenario) async throws in
            let result = try await Self.heldConnection(scenario, mode: "idle") { () async throws in
                #expect(try await scenario.reload(Self.config(trust: Self.otherOnly)))
            }
            #expect(result["status"] == .number(200))
            #expect(result["closed"] == .bool(true), "an idle connection admitted under the old trust stayed open")
        }
    }

    @Test func requestInFlightFinishesWithConnectionClose() async throws {
        try await ReloadScenario.withConfig(Self.config(trust: Self.both)) { (scenario: ReloadScenario) async throws in
            let result = try await Self.heldConnection(scenario, mode: "inflight") { () async throws in
                try await Task.sleep(for: .milliseconds(200))
                #expect(try await scenario.reload(Self.config(trust: Self.otherOnly)))
            }
            #expect(result["status"] == .number(200), "the request in flight finished on its generation")
            #expect(result["connection"] == .array([.string("close")]))
            #expect(result["closed"] == .bool(true))
        }
    }
}

/// Just enough JSON to read the scripts' reports.
enum JSONValue: Decodable, Equatable {
    case number(Double)
    case bool(Bool)
    case string(String)
    case array([JSONValue])
    case null

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else { self = .array(try container.decode([JSONValue].self)) }
    }
}
