import Foundation
import PullGuardTestSupport

/// The real `pullguard` binary, started on a free port (`--listen 127.0.0.1:0`) and
/// stopped by its PID. Start-up is complete when it prints `pullguard: listening on ...`.
final class PullGuardProcess {
    let process: Process
    let port: Int
    /// The admin listener's port, from `pullguard: admin listening on ...`; nil when it is off.
    let adminPort: Int?
    /// The child's standard error, read to its end on a thread of its own.
    private let stderrReader: PipeReader
    private var stderrData: LockedData { stderrReader.data }

    /// Everything the process wrote to stderr so far (logs, refusals).
    var log: String { stderrData.string }

    /// Whether the log shows `text` within `limit`: a line written just before a close can
    /// reach this side of the pipe after the client has seen the close.
    func eventuallyLogs(_ text: String, within limit: Duration = .seconds(3)) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if log.contains(text) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return log.contains(text)
    }

    static var binary: String {
        if let explicit = ProcessInfo.processInfo.environment["PULLGUARD_BINARY"] { return explicit }
        // The test bundle sits next to the products in .build/<triple>/debug.
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [folder, folder.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("pullguard").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return folder.appendingPathComponent("pullguard").path
    }

    private init(process: Process, port: Int, adminPort: Int?, stderrReader: PipeReader) {
        self.process = process
        self.port = port
        self.adminPort = adminPort
        self.stderrReader = stderrReader
    }

    /// Runs `pullguard <arguments>` and waits up to 30 s for its listening lines.
    /// `environment` is added to this process's own. A `run` without `--admin` gets
    /// `--admin 127.0.0.1:0`: tests run in parallel and must not all bind 9901.
    static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> PullGuardProcess {
        var arguments = arguments
        if arguments.first == "run", !arguments.contains("--admin") { arguments += ["--admin", "127.0.0.1:0"] }
        let adminOff = arguments.firstIndex(of: "--admin").map { arguments.indices.contains($0 + 1) && arguments[$0 + 1] == "off" } ?? false
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let err = Pipe()
        let reader = PipeReader(err.fileHandleForReading)
        let data = reader.data
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let log = data.string
            if let port = listeningPort(in: log, prefix: "pullguard: listening on ") {
                let adminPort = listeningPort(in: log, prefix: "pullguard: admin listening on ")
                if adminOff || adminPort != nil || arguments.first == "check" {
                    return PullGuardProcess(process: process, port: port, adminPort: adminPort, stderrReader: reader)
                }
            }
            if !process.isRunning { break }
            usleep(20_000)
        }
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        throw StartError(log: data.string)
    }

    struct StartError: Error, CustomStringConvertible {
        var log: String
        var description: String { "pullguard did not start:\n\(log)" }
    }

    private static func listeningPort(in log: String, prefix: String) -> Int? {
        guard let line = log.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }),
              let colon = line.lastIndex(of: ":") else { return nil }
        return Int(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
    }

    /// Sends `number` to our own child.
    func signal(_ number: Int32) {
        if process.isRunning { kill(process.processIdentifier, number) }
    }

    /// The exit status once the process has ended, or nil if it still runs after `limit`.
    func exitStatus(within limit: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + limit
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// How many times the log shows `text` so far.
    func occurrences(of text: String) -> Int {
        log.components(separatedBy: text).count - 1
    }

    /// SIGTERM to our own child, then wait for it (bounded: SIGKILL after 10 s).
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit {
        stop()
    }
}
