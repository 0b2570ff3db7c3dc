import Foundation
import Testing
import PullGuardTestSupport

/// Bad input at start-up: a clear error naming what is wrong, and a non-zero exit.
@Suite struct StartupErrorTests {
    func pullguard(_ arguments: [String]) throws -> CommandResult {
        try CommandRunner.run(PullGuardProcess.binary, arguments, timeout: 30)
    }

    @Test func keyNotMatchingItsCertificateNamesBothFiles() throws {
        let result = try pullguard([
            "run", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:9",
            "--cert", ProxyScenario.file("server.pem"), "--key", ProxyScenario.file("client.key"),
            "--client-ca", ProxyScenario.file("root.pem"),
        ])
        #expect(result.exitCode != 0)
        #expect(result.stderr.contains("private key \(ProxyScenario.file("client.key")) does not match certificate \(ProxyScenario.file("server.pem"))"),
                "stderr: \(result.stderr)")
    }

    @Test func cloudflareCAWithTheWrongFingerprintIsRefused() throws {
        let fake = FileManager.default.temporaryDirectory.appendingPathComponent("pullguard-fake-certs-\(getpid())")
        try FileManager.default.createDirectory(at: fake, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: ProxyScenario.file("other-ca.pem"),
                                         toPath: fake.appendingPathComponent("cloudflare-origin-pull-ca-2019.pem").path)
        defer { try? FileManager.default.removeItem(at: fake) }
        let result = try pullguard([
            "run", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:9",
            "--cert", ProxyScenario.file("server.pem"), "--key", ProxyScenario.file("server.key"),
            "--client-ca", "cloudflare", "--certs-dir", fake.path,
        ])
        #expect(result.exitCode != 0)
        #expect(result.stderr.contains("is not the Cloudflare Authenticated Origin Pulls CA"), "stderr: \(result.stderr)")
    }

    @Test func shippedCloudflareCAIsAccepted() throws {
        let repoCerts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("certs").path
        let result = try pullguard([
            "check", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:9",
            "--cert", ProxyScenario.file("server.pem"), "--key", ProxyScenario.file("server.key"),
            "--client-ca", "cloudflare", "--certs-dir", repoCerts,
        ])
        #expect(result.exitCode == 0, "stdout: \(result.stdout) stderr: \(result.stderr)")
    }

    @Test func checkReportsEveryProblemWithItsKeyPath() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pullguard-bad-\(getpid()).yaml")
        try Data("""
            listen: 127.0.0.1:0
            sites:
              - name: a
                certificates:
                  - cert: /nonexistent/server.pem
                    key: /nonexistent/server.key
                upstream: ftp://nowhere
                client_auth:
                  trust: [cloudflare]
                  verfy_depth: 1
            """.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try pullguard(["check", "--config", file.path])
        #expect(result.exitCode != 0)
        let output = result.stdout + result.stderr
        #expect(output.contains("sites[0].client_auth.verfy_depth"))
        #expect(output.contains("sites[0].upstream"))
        #expect(output.contains("sites[0].certificates[0].cert"))
    }
}
