import Foundation
import Testing
import PullGuardTestSupport

/// The newcomer's path: `pullguard demo` and the `pki` commands, run as a user would.
@Suite(.serialized) struct CommandLineTests {
    func temporaryDirectory(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("pullguard-\(name)-\(getpid())-\(UUID().uuidString.prefix(8))")
    }

    @Test func demoServes200WithTheClientCertificateAndRefusesWithout() throws {
        let state = temporaryDirectory("demo")
        defer { try? FileManager.default.removeItem(at: state) }
        let demo = try PullGuardProcess.start(["demo", "--state-dir", state.path, "--port", "0"])
        defer { demo.stop() }
        let ca = state.appendingPathComponent("ca.pem").path
        let url = "https://localhost:\(demo.port)/"
        let good = try CommandRunner.run("curl", ["-sS", "--max-time", "10", "--cacert", ca,
            "--cert", state.appendingPathComponent("clients/demo-client.pem").path,
            "--key", state.appendingPathComponent("clients/demo-client.key").path, "-w", "\n%{http_code}", url])
        #expect(good.stdout.hasSuffix("\n200"), "curl: \(good.stdout) \(good.stderr)")
        #expect(good.stdout.contains("X-Client-Verify: SUCCESS"))
        // --http1.1: with `h2` negotiated, curl sometimes calls getpeername() on the socket the
        // server already closed and reports that (errno 107) instead of the TLS 1.3 alert.
        let refused = try CommandRunner.run("curl", ["-sS", "--http1.1", "--max-time", "10", "--cacert", ca, url])
        #expect(refused.exitCode != 0)
        #expect(refused.stderr.contains("alert certificate required"), "curl: \(refused.stderr)")
    }

    @Test func pkiInitThenIssueClientMakesACertificateThatVerifies() throws {
        let directory = temporaryDirectory("pki")
        defer { try? FileManager.default.removeItem(at: directory) }
        let initialized = try CommandRunner.run(PullGuardProcess.binary, ["pki", "init", "--dir", directory.path])
        #expect(initialized.exitCode == 0, "\(initialized.stderr)")
        let issued = try CommandRunner.run(PullGuardProcess.binary, ["pki", "issue-client", "origin-pull", "--dir", directory.path])
        #expect(issued.exitCode == 0, "\(issued.stderr)")
        let verify = try CommandRunner.run("openssl", ["verify", "-purpose", "sslclient",
            "-CAfile", directory.appendingPathComponent("ca.pem").path,
            directory.appendingPathComponent("clients/origin-pull.pem").path])
        #expect(verify.stdout.contains(": OK"), "openssl: \(verify.stdout) \(verify.stderr)")
        let again = try CommandRunner.run(PullGuardProcess.binary, ["pki", "init", "--dir", directory.path])
        #expect(again.exitCode != 0)
    }
}
