import Foundation

/// Runs an external command (curl, openssl, the pullguard binary) to completion with a
/// time limit, capturing its output. Tests use real clients the way a user would.
public struct CommandResult: Sendable {
    public var exitCode: Int32
    public var stdout: String
    public var stderr: String
}

public enum CommandRunner {
    /// - Parameters:
    ///   - timeout: the process is terminated (SIGTERM, by its PID) when it runs longer.
    ///   - started: called with the process's PID once it runs (to signal it from elsewhere).
    public static func run(_ executable: String, _ arguments: [String], stdin: String? = nil,
                           timeout: TimeInterval = 20, started: (Int32) -> Void = { _ in }) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
        process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        let outReader = PipeReader(out.fileHandleForReading)
        let errReader = PipeReader(err.fileHandleForReading)
        try process.run()
        started(process.processIdentifier)
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        process.waitUntilExit()
        outReader.waitForEnd(timeout: 5)
        errReader.waitForEnd(timeout: 5)
        return CommandResult(exitCode: process.terminationStatus, stdout: outReader.data.string,
                             stderr: errReader.data.string)
    }
}

/// Bytes appended from a pipe's reader thread and read from the test.
public final class LockedData: @unchecked Sendable {
    // `@unchecked Sendable`: every access goes through `lock`.
    private let lock = NSLock()
    private var data = Data()

    public init() {}

    public func append(_ more: Data) {
        lock.lock()
        data.append(more)
        lock.unlock()
    }

    public var string: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }
}
