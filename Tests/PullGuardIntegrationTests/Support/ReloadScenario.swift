import Foundation
import NIOPosix
import PullGuardTestSupport
@testable import PullGuardTooling

/// The real binary started from a configuration file that the test rewrites and then
/// reloads with SIGHUP, as an operator would.
struct ReloadScenario {
    let upstream: BuiltInUpstream
    let proxy: PullGuardProcess
    let configFile: URL
    let port: Int

    /// `{UPSTREAM}` and `{PKI}` in `yaml` are replaced, as in `ProxyScenario.withConfig`.
    static func text(_ yaml: String, upstreamPort: Int) -> String {
        yaml.replacingOccurrences(of: "{UPSTREAM}", with: "http://127.0.0.1:\(upstreamPort)")
            .replacingOccurrences(of: "{PKI}", with: ProxyScenario.pkiDirectory.path)
    }

    /// Writes `yaml` over the configuration file (rename over, as editors and
    /// configuration managers do) and sends SIGHUP; returns once the log says how it went.
    /// - Returns: true when the reload was applied, false when it was refused.
    @discardableResult
    func reload(_ yaml: String) async throws -> Bool {
        let temporary = configFile.appendingPathExtension("new")
        try Data(Self.text(yaml, upstreamPort: port).utf8).write(to: temporary)
        guard rename(temporary.path, configFile.path) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        return await sighup()
    }

    /// SIGHUP; waits (30 s at most) for the next "configuration reloaded" or "reload failed".
    /// 10 s once ran out in CI, with the whole suite's processes on two cores, and the
    /// reload's effect was there right after: the wait ends at the line, so a long bound
    /// costs nothing when the reload is quick.
    func sighup() async -> Bool {
        let applied = proxy.occurrences(of: "configuration reloaded")
        let failed = proxy.occurrences(of: "reload failed")
        proxy.signal(SIGHUP)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if proxy.occurrences(of: "configuration reloaded") > applied { return true }
            if proxy.occurrences(of: "reload failed") > failed { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    func curl(client: String?, host: String = "localhost", path: String = "/") throws -> ProxyScenario.CurlResult {
        try ProxyScenario(upstream: upstream, proxy: proxy).curl(client: client, tls: "1.3", host: host, path: path)
    }

    static func withConfig(_ yaml: String, _ body: (ReloadScenario) async throws -> Void) async throws {
        let upstream = try await BuiltInUpstream.start(host: "127.0.0.1", port: 0, group: MultiThreadedEventLoopGroup.singleton)
        do {
            let file = ProxyScenario.pkiDirectory.appendingPathComponent("reload-\(UUID().uuidString).yaml")
            try Data(text(yaml, upstreamPort: upstream.port).utf8).write(to: file)
            let proxy = try PullGuardProcess.start(["run", "--config", file.path])
            defer { proxy.stop() }
            try await body(ReloadScenario(upstream: upstream, proxy: proxy, configFile: file, port: upstream.port))
        } catch {
            try? await upstream.shutdown()
            throw error
        }
        try await upstream.shutdown()
    }
}
