import Foundation
import Testing
import PullGuardTestSupport

/// `pullguard check --strict` and `pullguard verify` run as a CI pipeline or an operator
/// would: exit statuses and what they print. One invocation of the binary per expectation,
/// no listener is bound.
@Suite struct CheckAndVerifyCommandTests {
    func pullguard(_ arguments: [String]) throws -> CommandResult {
        try CommandRunner.run(PullGuardProcess.binary, arguments, timeout: 30)
    }

    /// A config file in the test PKI's folder; `listen` varies so one test can make a warning.
    /// With `crl`, the root's CRL (nextUpdate in 7 days, itself a warning; and a chain through
    /// the intermediate then fails for want of the intermediate's CRL).
    func config(listen: String = "127.0.0.1:0", crl: Bool = true, allow: String = "") throws -> String {
        let file = ProxyScenario.pkiDirectory.appendingPathComponent("check-\(UUID().uuidString).yaml")
        try Data("""
            listen: \(listen)
            admin: off
            sites:
              - name: origin
                server_names: [localhost]
                certificates:
                  - cert: server.pem
                    key: server.key
                upstream: http://127.0.0.1:9
                client_auth:
                  trust: [root.pem]\(crl ? "\n      crl: root.crl" : "")\(allow)
            """.utf8).write(to: file)
        return file.path
    }

    @Test func strictCheckFailsOnAWarningThatPlainCheckOnlyPrints() throws {
        let file = try config(listen: "0.0.0.0:8443", crl: false)
        let plain = try pullguard(["check", "--config", file])
        #expect(plain.exitCode == 0, "\(plain.stdout) \(plain.stderr)")
        #expect(plain.stdout.contains("warning: listen[0]: 0.0.0.0:8443 accepts connections from any address"), "\(plain.stdout)")
        #expect(plain.stdout.contains("  fix: "))
        #expect(plain.stdout.contains("configuration OK"))
        let strict = try pullguard(["check", "--strict", "--config", file])
        #expect(strict.exitCode == 1, "\(strict.stdout) \(strict.stderr)")
        #expect(strict.stdout.contains("(--strict: failing)"))
    }

    @Test func strictCheckPassesAConfigurationWithoutWarnings() throws {
        let strict = try pullguard(["check", "--strict", "--config", try config(crl: false)])
        #expect(strict.exitCode == 0, "\(strict.stdout) \(strict.stderr)")
        #expect(!strict.stdout.contains("warning:"))
    }

    @Test func verifyAdmitsAGoodChainAndExitsZero() throws {
        let result = try pullguard(["verify", "--config", try config(crl: false),
                                    ProxyScenario.file("client-via-intermediate.pem")])
        #expect(result.exitCode == 0, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("verdict: admitted"))
        #expect(result.stdout.contains("depth 1"))
        #expect(result.stdout.contains("trust anchor: CN=PullGuard Test Root"))
        #expect(result.stdout.contains("crl: not checked"))
    }

    @Test func verifyRefusesARevokedChainWithTheAlertAndReason() throws {
        let result = try pullguard(["verify", "--config", try config(), "--sni", "localhost", ProxyScenario.file("revoked.pem")])
        #expect(result.exitCode == 1, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("verdict: refused"))
        #expect(result.stdout.contains("alert: certificate_revoked"))
        #expect(result.stdout.contains("reason: certificate revoked (X509_V_ERR_CERT_REVOKED at depth 0)"))
    }

    @Test func verifyAsJSONNamesTheAllowListEntry() throws {
        let allow = "\n      allow:\n        common_names: [client]"
        let result = try pullguard(["verify", "--json", "--config", try config(allow: allow), "--site", "origin",
                                    ProxyScenario.file("client.pem")])
        #expect(result.exitCode == 0, "\(result.stdout) \(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["verdict"] as? String == "admitted")
        #expect(json["allow_list"] as? String == "matched common_names: client")
        #expect(json["trust_source"] as? String == ProxyScenario.file("root.pem"))
        #expect((json["crl"] as? String)?.hasPrefix("not revoked") == true)
    }

    @Test func verifyExitsTwoForAnUnknownSiteOrABadConfiguration() throws {
        let unknown = try pullguard(["verify", "--config", try config(), "--site", "nope", ProxyScenario.file("client.pem")])
        #expect(unknown.exitCode == 2)
        #expect(unknown.stderr.contains("no site is named 'nope'"), "\(unknown.stderr)")
        let missing = try pullguard(["verify", "--config", "/nonexistent/pullguard.yaml", ProxyScenario.file("client.pem")])
        #expect(missing.exitCode == 2, "\(missing.stderr)")
        let noChain = try pullguard(["verify", "--config", try config()])
        #expect(noChain.exitCode == 2)
    }
}

/// The running server logs the same warnings, once per configuration it starts serving.
@Suite struct StartupWarningTests {
    @Test func serverLogsCheckWarningsAtStart() async throws {
        // The test PKI's CRL has nextUpdate in 7 days: a warning, but the server serves.
        try await ProxyScenario.withSite(["--crl", ProxyScenario.file("root.crl")]) { (scenario) async throws in
            #expect(await scenario.proxy.eventuallyLogs("configuration warning: --crl: CRL"), "\(scenario.proxy.log)")
            #expect(try scenario.curl(client: "client", tls: "1.3").status == 200)
        }
    }
}
