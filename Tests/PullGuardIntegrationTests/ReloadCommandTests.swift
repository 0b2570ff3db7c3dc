import Foundation
import Testing
import PullGuardTestSupport

/// `pullguard reload` as an operator runs it: validate like `check`, find the process through
/// `pid_file` (or `--pid`), send SIGHUP. The target is a python3 process that records SIGHUP,
/// since what the server does on SIGHUP is tested with the server.
@Suite(.serialized) struct ReloadCommandTests {
    /// A folder with a config using the integration PKI; `pid_file` (when given) and the
    /// marker live in it.
    struct Setup {
        let directory: URL
        var config: String { directory.appendingPathComponent("pullguard.yaml").path }
        var pidFile: String { directory.appendingPathComponent("pullguard.pid").path }
        var marker: String { directory.appendingPathComponent("hup").path }

        init(pidFile: Bool = true, upstream: String = "http://127.0.0.1:9", extra: String = "") throws {
            directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("pullguard-reload-\(getpid())-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let yaml = """
            listen: 127.0.0.1:0
            \(pidFile ? "pid_file: pullguard.pid" : "")
            \(extra)
            sites:
              - name: only
                certificates:
                  - {cert: \(ProxyScenario.file("server.pem")), key: \(ProxyScenario.file("server.key"))}
                upstream: \(upstream)
                client_auth:
                  trust: [\(ProxyScenario.file("root.pem"))]
            """
            try Data(yaml.utf8).write(to: URL(fileURLWithPath: config))
        }

        func writePID(_ text: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: pidFile)) }
        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    func reload(_ arguments: [String]) async throws -> CommandResult {
        try await OffPool.run { try CommandRunner.run(PullGuardProcess.binary, ["reload"] + arguments, timeout: 30) }
    }

    @Test func pidOptionSignalsTheProcess() async throws {
        let setup = try Setup()
        defer { setup.remove() }
        let target = try await HangupRecorder.start(marker: setup.marker)
        defer { target.stop() }
        let result = try await reload(["--pid", "\(target.pid)"])
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(await target.waitForMarker())
    }

    @Test func configWithPidFileIsCheckedThenTheProcessIsSignalled() async throws {
        let setup = try Setup()
        defer { setup.remove() }
        let target = try await HangupRecorder.start(marker: setup.marker, argv0: "pullguard")
        defer { target.stop() }
        try setup.writePID("\(target.pid)\n")
        let result = try await reload(["--config", setup.config])
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(result.stdout.contains("sent SIGHUP to process \(target.pid)"))
        #expect(await target.waitForMarker())
    }

    @Test func invalidConfigurationIsReportedAndNothingIsSent() async throws {
        let setup = try Setup(upstream: "https://127.0.0.1:9")
        defer { setup.remove() }
        let target = try await HangupRecorder.start(marker: setup.marker, argv0: "pullguard")
        defer { target.stop() }
        try setup.writePID("\(target.pid)\n")
        let result = try await reload(["--config", setup.config])
        #expect(result.exitCode == 1)
        #expect(result.stderr.contains("configuration not reloaded"))
        #expect(result.stderr.contains("sites[0].upstream:"), "\(result.stderr)")
        #expect(await target.waitForMarker(limit: .milliseconds(300)) == false)
    }

    @Test func configWithoutPidFileSaysSo() async throws {
        let setup = try Setup(pidFile: false)
        defer { setup.remove() }
        let result = try await reload(["--config", setup.config])
        #expect(result.exitCode == 2)
        #expect(result.stderr.contains("no pid_file is configured"), "\(result.stderr)")
    }

    @Test func missingPidFileSaysSo() async throws {
        let setup = try Setup()
        defer { setup.remove() }
        let result = try await reload(["--config", setup.config])
        #expect(result.exitCode == 2)
        #expect(result.stderr.contains("pid file \(setup.pidFile) does not exist"), "\(result.stderr)")
    }

    @Test func garbagePidFileSaysSo() async throws {
        let setup = try Setup()
        defer { setup.remove() }
        try setup.writePID("-1\n")
        let result = try await reload(["--config", setup.config])
        #expect(result.exitCode == 2)
        #expect(result.stderr.contains("does not hold a process id"), "\(result.stderr)")
    }

    @Test func stalePidFileSaysSo() async throws {
        let setup = try Setup()
        defer { setup.remove() }
        let pid = try HangupRecorder.exitedProcessID()
        try setup.writePID("\(pid)\n")
        let result = try await reload(["--config", setup.config])
        #expect(result.exitCode == 2)
        #expect(result.stderr.contains("no process \(pid) is running (the pid file \(setup.pidFile) is stale)"),
                "\(result.stderr)")
    }

    @Test func checkShowsThePidFileAndWhatIsWatched() async throws {
        let setup = try Setup(extra: "watch: true\nwatch_debounce: 1500ms")
        defer { setup.remove() }
        let result = try await OffPool.run {
            try CommandRunner.run(PullGuardProcess.binary, ["check", "--config", setup.config])
        }
        #expect(result.exitCode == 0, "\(result.stdout) \(result.stderr)")
        // The config file, the server certificate and key, the trust bundle.
        #expect(result.stdout.contains("reload: pid file \(setup.pidFile), watch on (4 files, debounce 1500ms)"),
                "\(result.stdout)")
    }

    @Test func checkShowsWhereTheAccessLogGoes() async throws {
        let setup = try Setup(extra: "access_log: {path: stderr}\nheaders: {request_id: X-Trace-ID, trust_request_id: true}")
        defer { setup.remove() }
        let result = try await OffPool.run {
            try CommandRunner.run(PullGuardProcess.binary, ["check", "--config", setup.config])
        }
        #expect(result.exitCode == 0, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("access log: stderr, request id: X-Trace-ID (kept from verified clients)"),
                "\(result.stdout)")
    }

    @Test func neitherConfigNorPidIsAUsageError() async throws {
        let result = try await reload([])
        #expect(result.exitCode != 0)
        #expect(result.stderr.contains("give --config FILE"), "\(result.stderr)")
    }
}
