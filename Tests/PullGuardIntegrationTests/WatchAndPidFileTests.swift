import Foundation
import PullGuardTestSupport
import Testing

/// `watch: true` and `pid_file` through the binary: a changed trust file reloads by itself
/// (also when Kubernetes swaps a mounted Secret's `..data` symlink), and `pullguard reload`
/// finds the running process through its pid file.
@Suite struct WatchAndPidFileTests {
    /// A folder of its own per test, with `root+other.pem` and `other.pem` trust bundles.
    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pullguard-watch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    static func pem(_ names: String...) throws -> Data {
        var bundle = Data()
        for name in names { bundle += try Data(contentsOf: URL(fileURLWithPath: ProxyScenario.file("\(name).pem"))) }
        return bundle
    }

    static func config(trustFile: String, extra: String = "") -> String {
        ReloadTests.config(trust: "[\(trustFile)]", extra: "watch: true\nwatch_debounce: 200ms\n\(extra)")
    }

    @Test func changedTrustFileReloadsByItself() async throws {
        let folder = try Self.folder()
        let trust = folder.appendingPathComponent("trust.pem")
        try Self.pem("root", "other-ca").write(to: trust)
        try await ReloadScenario.withConfig(Self.config(trustFile: trust.path)) { (scenario: ReloadScenario) async throws in
            #expect(try scenario.curl(client: "client").status == 200)
            // Rename over, as configuration managers write files.
            let next = folder.appendingPathComponent("trust.pem.new")
            try Self.pem("other-ca").write(to: next)
            #expect(rename(next.path, trust.path) == 0)
            #expect(await scenario.proxy.eventuallyLogs("trigger=file change", within: .seconds(10)))
            #expect(try scenario.curl(client: "client").status == nil, "the removed CA still admits")
            #expect(try scenario.curl(client: "other-ca-client").status == 200)
        }
    }

    /// A mounted Secret: `ca.pem -> ..data/ca.pem`, `..data -> ..v1`; an update writes `..v2`
    /// and re-points `..data` in one rename.
    @Test func kubernetesSecretSwapReloads() async throws {
        let folder = try Self.folder()
        let manager = FileManager.default
        try manager.createDirectory(at: folder.appendingPathComponent("..v1"), withIntermediateDirectories: true)
        try Self.pem("root", "other-ca").write(to: folder.appendingPathComponent("..v1/ca.pem"))
        try manager.createSymbolicLink(atPath: folder.appendingPathComponent("..data").path, withDestinationPath: "..v1")
        try manager.createSymbolicLink(atPath: folder.appendingPathComponent("ca.pem").path, withDestinationPath: "..data/ca.pem")
        let trust = folder.appendingPathComponent("ca.pem").path
        try await ReloadScenario.withConfig(Self.config(trustFile: trust)) { (scenario: ReloadScenario) async throws in
            #expect(try scenario.curl(client: "client").status == 200)
            try manager.createDirectory(at: folder.appendingPathComponent("..v2"), withIntermediateDirectories: true)
            try Self.pem("other-ca").write(to: folder.appendingPathComponent("..v2/ca.pem"))
            try manager.createSymbolicLink(atPath: folder.appendingPathComponent("..data_tmp").path, withDestinationPath: "..v2")
            #expect(rename(folder.appendingPathComponent("..data_tmp").path, folder.appendingPathComponent("..data").path) == 0)
            #expect(await scenario.proxy.eventuallyLogs("trigger=file change", within: .seconds(10)))
            #expect(try scenario.curl(client: "client").status == nil)
        }
    }

    @Test func pidFileLetsReloadFindTheProcessAndGoesAtExit() async throws {
        let folder = try Self.folder()
        let pidFile = folder.appendingPathComponent("pullguard.pid").path
        let config = ReloadTests.config(trust: ReloadTests.both, extra: "pid_file: \(pidFile)")
        try await ReloadScenario.withConfig(config) { (scenario: ReloadScenario) async throws in
            let written = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(written == "\(scenario.proxy.process.processIdentifier)")
            try Data(ReloadScenario.text(ReloadTests.config(trust: ReloadTests.otherOnly, extra: "pid_file: \(pidFile)"),
                                         upstreamPort: scenario.port).utf8).write(to: scenario.configFile)
            let result = try CommandRunner.run(PullGuardProcess.binary, ["reload", "--config", scenario.configFile.path])
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(await scenario.proxy.eventuallyLogs("configuration reloaded", within: .seconds(10)))
            #expect(try scenario.curl(client: "client").status == nil)
            scenario.proxy.signal(SIGTERM)
            #expect(await scenario.proxy.exitStatus(within: .seconds(10)) == 0)
            #expect(!FileManager.default.fileExists(atPath: pidFile), "the pid file outlived the process")
        }
    }
}
