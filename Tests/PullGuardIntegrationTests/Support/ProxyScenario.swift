import Foundation
import NIOPosix
import PullGuard
import PullGuardTestSupport
@testable import PullGuardTooling

/// One integration scenario: the test PKI on disk, a recording upstream, and the real
/// `pullguard` binary in front of it. Created and torn down per test.
struct ProxyScenario {
    /// Generated once per test run; nothing is committed. Kept so tests can issue more
    /// certificates (a short-lived one, say) under the same root.
    static let pki = try! TestPKI()

    /// `pki` written into a temporary folder.
    static let pkiDirectory: URL = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pullguard-it-\(getpid())")
        return try! pki.write(to: directory)
    }()

    static func file(_ name: String) -> String { pkiDirectory.appendingPathComponent(name).path }

    /// `openssl s_client` to `port` (SNI `localhost`) sending `request` byte for byte, what
    /// curl would refuse to send or would encode; `client` nil: no client certificate.
    static func openssl(port: Int, client: String?, tls: String, request: String) throws -> CommandResult {
        var arguments = ["s_client", "-connect", "127.0.0.1:\(port)", "-servername", "localhost",
                         "-CAfile", file("root.pem")]
        if let client { arguments += ["-cert", file("\(client).pem"), "-key", file("\(client).key")] }
        arguments += [tls == "1.2" ? "-tls1_2" : "-tls1_3", "-quiet"]
        return try CommandRunner.run("openssl", arguments, stdin: request, timeout: 15)
    }

    let upstream: BuiltInUpstream
    let proxy: PullGuardProcess

    /// Flags every single-site scenario shares: server identity, private root as trust source.
    static func siteFlags(upstreamPort: Int, extra: [String] = []) -> [String] {
        ["run", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:\(upstreamPort)",
         "--cert", file("server.pem"), "--key", file("server.key"),
         "--client-ca", file("root.pem"), "--workers", "1"] + extra
    }

    /// Starts the upstream, then pullguard with `arguments(upstreamPort)`; runs `body`; stops both.
    static func with(_ arguments: (Int) throws -> [String], environment: [String: String] = [:],
                     _ body: (ProxyScenario) async throws -> Void) async throws {
        let upstream = try await BuiltInUpstream.start(host: "127.0.0.1", port: 0, group: MultiThreadedEventLoopGroup.singleton)
        do {
            let proxy = try PullGuardProcess.start(try arguments(upstream.port), environment: environment)
            defer { proxy.stop() }
            try await body(ProxyScenario(upstream: upstream, proxy: proxy))
        } catch {
            try? await upstream.shutdown()
            throw error
        }
        try await upstream.shutdown()
    }

    /// Single site from flags, plus `extra` flags.
    /// `environment` is added to the proxy's own.
    static func withSite(_ extra: [String] = [], environment: [String: String] = [:],
                         _ body: (ProxyScenario) async throws -> Void) async throws {
        try await with({ siteFlags(upstreamPort: $0, extra: extra) }, environment: environment, body)
    }

    /// From a YAML config; `{UPSTREAM}` and `{PKI}` in the text are replaced.
    static func withConfig(_ yaml: String, _ body: (ProxyScenario) async throws -> Void) async throws {
        try await with({ port in
            let text = yaml.replacingOccurrences(of: "{UPSTREAM}", with: "http://127.0.0.1:\(port)")
                .replacingOccurrences(of: "{PKI}", with: pkiDirectory.path)
            let file = pkiDirectory.appendingPathComponent("config-\(UUID().uuidString).yaml")
            try Data(text.utf8).write(to: file)
            return ["run", "--config", file.path]
        }, body)
    }

    struct CurlResult {
        var exitCode: Int32
        /// nil when no HTTP response arrived (the TLS handshake failed).
        var status: Int?
        var body: String
        var stderr: String
    }

    /// `curl` against the proxy. `client` names a `<name>.pem`/`<name>.key` pair in the PKI folder.
    /// `http`: `1.1` (what these scenarios were written for) or `2` (ALPN `h2`).
    func curl(client: String?, tls: String, host: String = "localhost", path: String = "/",
              headers: [String] = [], extra: [String] = [], http: String = "1.1") throws -> CurlResult {
        // -v: curl reports some received alerts (certificate_expired in TLS 1.2) only in its
        // verbose trace ("TLS alert, certificate expired"), not in its error line.
        var arguments = ["-sS", "-v", "--max-time", "10", "--cacert", Self.file("root.pem"),
                         "--resolve", "\(host):\(proxy.port):127.0.0.1", "-o", "-", "-w", "\n%{http_code}"]
        arguments += tls == "1.2" ? ["--tlsv1.2", "--tls-max", "1.2"] : ["--tlsv1.3"]
        arguments += http == "2" ? ["--http2"] : ["--http1.1"]
        if let client { arguments += ["--cert", Self.file("\(client).pem"), "--key", Self.file("\(client).key")] }
        for header in headers { arguments += ["-H", header] }
        arguments += extra
        arguments.append("https://\(host):\(proxy.port)\(path)")
        let result = try CommandRunner.run("curl", arguments, timeout: 20)
        var lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let code = lines.popLast().flatMap { Int($0) }
        return CurlResult(exitCode: result.exitCode, status: code == 0 ? nil : code,
                          body: lines.joined(separator: "\n"), stderr: result.stderr)
    }
}
