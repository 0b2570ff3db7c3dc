import Foundation
import NIOPosix
import PullGuardTestSupport
import Testing
@testable import PullGuardTooling

/// docs/operations.md's runbook, block by block, against the real binary: each procedure's
/// commands are read from the document and run in bash with the runbook's variables pointed
/// at a temporary installation, so the runbook cannot rot. Between blocks the test does
/// what the runbook leaves to Cloudflare (presenting a client certificate) and checks the
/// effect.
@Suite(.serialized) struct RunbookTests {
    /// `<!-- runbook: NAME -->` followed by a ```sh block.
    static let blocks = OperationsDocument.blocks(kind: "runbook", language: "sh")

    /// An installation laid out as the runbook assumes: `$ETC` with the configuration, the
    /// origin certificate, the trust bundle and the CA of 2026 with its client certificate.
    struct Installation {
        let etc: URL
        let proxy: PullGuardProcess
        let upstream: BuiltInUpstream

        var config: URL { etc.appendingPathComponent("pullguard.yaml") }

        func file(_ path: String) -> String { etc.appendingPathComponent(path).path }

        /// Runs the runbook block `name` with the runbook's variables; fails the test if it fails.
        @discardableResult
        func run(_ name: String) throws -> String {
            let block = try #require(RunbookTests.blocks[name], "docs/operations.md has no runbook block \(name)")
            try Data(proxy.log.utf8).write(to: URL(fileURLWithPath: file("pullguard.log")))
            let binaries = URL(fileURLWithPath: PullGuardProcess.binary).deletingLastPathComponent().path
            let environment = [
                "PATH=\(binaries):\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")",
                "ETC=\(etc.path)", "CONFIG=\(config.path)",
                "ADMIN=http://127.0.0.1:\(proxy.adminPort ?? 0)", "ORIGIN=127.0.0.1:\(proxy.port)",
                "SERVER_NAME=localhost", "LOG=\(file("pullguard.log"))",
            ]
            // `set -eu`, as an operator's shell stops at a failing command; no `pipefail`:
            // `openssl s_client` exits 1 when the server refuses a client without a
            // certificate, after it printed the server certificate the pipeline reads.
            let result = try CommandRunner.run("env", environment + ["bash", "-c", "set -eu\n" + block], timeout: 60)
            #expect(result.exitCode == 0, "runbook block \(name) failed:\n\(result.stdout)\n\(result.stderr)")
            return result.stdout
        }

        /// What Cloudflare would get presenting `cert`/`key`: the HTTP status, nil when refused.
        func request(cert: String, key: String) throws -> Int? {
            let result = try CommandRunner.run("curl", [
                "-sS", "--max-time", "10", "--cacert", ProxyScenario.file("root.pem"),
                "--resolve", "localhost:\(proxy.port):127.0.0.1", "--cert", cert, "--key", key,
                "-o", "/dev/null", "-w", "%{http_code}", "https://localhost:\(proxy.port)/",
            ])
            return Int(result.stdout).flatMap { $0 == 0 ? nil : $0 }
        }

        func client(_ ca: String) throws -> Int? {
            try request(cert: file("\(ca)/clients/cloudflare-aop.pem"), key: file("\(ca)/clients/cloudflare-aop.key"))
        }

        func reloaded(_ count: Int) async -> Bool {
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                if proxy.occurrences(of: "configuration reloaded") >= count { return true }
                try? await Task.sleep(for: .milliseconds(20))
            }
            return false
        }
    }

    /// Lays out `$ETC`, starts the upstream and PullGuard, runs `body`, stops both.
    /// `extraTrust`: test-PKI files added to the bundle (for a certificate the `pki` command cannot make).
    static func withInstallation(extraTrust: [String] = [], _ body: (Installation) async throws -> Void) async throws {
        let etc = FileManager.default.temporaryDirectory.appendingPathComponent("pullguard-runbook-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: etc, withIntermediateDirectories: true)
        let pullguard = PullGuardProcess.binary
        for arguments in [["pki", "init", "--dir", etc.appendingPathComponent("aop-ca-2026").path],
                          ["pki", "issue-client", "cloudflare-aop", "--dir", etc.appendingPathComponent("aop-ca-2026").path]] {
            let result = try CommandRunner.run(pullguard, arguments)
            #expect(result.exitCode == 0, "\(result.stderr)")
        }
        var trust = try Data(contentsOf: etc.appendingPathComponent("aop-ca-2026/ca.pem"))
        for name in extraTrust { trust += try Data(contentsOf: URL(fileURLWithPath: ProxyScenario.file(name))) }
        try trust.write(to: etc.appendingPathComponent("aop-trust.pem"))
        for (from, to) in [("server.pem", "origin.pem"), ("server.key", "origin.key")] {
            try FileManager.default.copyItem(atPath: ProxyScenario.file(from), toPath: etc.appendingPathComponent(to).path)
        }
        let upstream = try await BuiltInUpstream.start(host: "127.0.0.1", port: 0, group: MultiThreadedEventLoopGroup.singleton)
        do {
            let config = """
                pid_file: \(etc.appendingPathComponent("pullguard.pid").path)
                listen: 127.0.0.1:0
                workers: 1
                admin: {listen: 127.0.0.1:0}
                drain_timeout: 5s
                sites:
                  - name: origin
                    server_names: [localhost]
                    certificates: [{cert: origin.pem, key: origin.key}]
                    upstream: http://127.0.0.1:\(upstream.port)
                    client_auth: {trust: [aop-trust.pem], verify_depth: 1}
                """
            try Data(config.utf8).write(to: etc.appendingPathComponent("pullguard.yaml"))
            let proxy = try PullGuardProcess.start(["run", "--config", etc.appendingPathComponent("pullguard.yaml").path])
            defer { proxy.stop() }
            try await body(Installation(etc: etc, proxy: proxy, upstream: upstream))
        } catch {
            try? await upstream.shutdown()
            throw error
        }
        try await upstream.shutdown()
    }

    @Test func rotatingTheClientCertificateToANewCA() async throws {
        try await Self.withInstallation { installation in
            #expect(try installation.client("aop-ca-2026") == 200)
            try installation.run("rotate-new-ca")
            #expect(FileManager.default.fileExists(atPath: installation.file("aop-ca-2027/clients/cloudflare-aop.pem")))
            #expect(try installation.client("aop-ca-2027") == nil, "not trusted yet")

            try installation.run("rotate-trust-both")
            #expect(await installation.reloaded(1))
            #expect(try installation.client("aop-ca-2026") == 200, "the old CA still admits during the switch")
            for _ in 0..<3 { #expect(try installation.client("aop-ca-2027") == 200) }

            let watched = try installation.run("rotate-watch")
            let digests = watched.split(separator: "\n").filter { $0.hasSuffix("  -") }.map { String($0.prefix(64)) }
            #expect(digests.count == 2)
            let admitted = { (digest: String) -> Int in
                watched.split(separator: "\n").filter { $0.contains("anchor_sha256=\"\(digest)\"") }
                    .compactMap { Double($0.split(separator: " ").last ?? "").map(Int.init) }.reduce(0, +)
            }
            if digests.count == 2 {
                #expect(admitted(digests[0]) == 2, "old CA: \(watched)")
                #expect(admitted(digests[1]) == 3, "new CA: \(watched)")
            }

            try installation.run("rotate-remove-old")
            #expect(await installation.reloaded(2))
            #expect(try installation.client("aop-ca-2026") == nil, "the removed CA still admits")
            #expect(try installation.client("aop-ca-2027") == 200)
        }
    }

    @Test func renewingTheOriginCertificate() async throws {
        try await Self.withInstallation { installation in
            #expect(try installation.client("aop-ca-2026") == 200)
            try FileManager.default.copyItem(atPath: ProxyScenario.file("server-b.pem"), toPath: installation.file("origin-new.pem"))
            try FileManager.default.copyItem(atPath: ProxyScenario.file("server-b.key"), toPath: installation.file("origin-new.key"))
            try installation.run("renew-origin")
            #expect(await installation.reloaded(1))
            let served = try installation.run("renew-check")
            let expected = try CommandRunner.run("openssl", ["x509", "-in", ProxyScenario.file("server-b.pem"), "-noout", "-fingerprint", "-sha256"])
            #expect(served.contains(expected.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "served: \(served)")
        }
    }

    @Test func confirmingAnExpiredClientCertificateAndReissuing() async throws {
        // The test PKI's root stands in for the CA whose certificate expired: the `pki`
        // command does not issue certificates in the past.
        try await Self.withInstallation(extraTrust: ["root.pem"]) { installation in
            #expect(try installation.request(cert: ProxyScenario.file("expired.pem"), key: ProxyScenario.file("expired.key")) == nil)
            #expect(await installation.proxy.eventuallyLogs("X509_V_ERR_CERT_HAS_EXPIRED"))
            let confirmed = try installation.run("expired-confirm")
            #expect(confirmed.contains("result=\"refused_certificate\""))
            #expect(confirmed.contains("subject=CN=expired"))
            // The runbook reissues from the CA of 2027; here that is the one in the bundle.
            try FileManager.default.copyItem(atPath: installation.file("aop-ca-2026"), toPath: installation.file("aop-ca-2027"))
            try FileManager.default.removeItem(atPath: installation.file("aop-ca-2027/clients"))
            try installation.run("expired-reissue")
            #expect(try installation.client("aop-ca-2027") == 200)
        }
    }

    @Test func drainingForADeploy() async throws {
        try await Self.withInstallation { installation in
            #expect(try installation.client("aop-ca-2026") == 200)
            let drained = try installation.run("drain")
            #expect(drained.contains("readyz"))
            #expect(await installation.proxy.exitStatus(within: .seconds(10)) == 0)
            #expect(!FileManager.default.fileExists(atPath: installation.file("pullguard.pid")))
            #expect(installation.proxy.log.contains("draining"))
        }
    }
}
