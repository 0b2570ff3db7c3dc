import Foundation

/// A python3 process that writes a marker file when it receives SIGHUP, started with a
/// chosen `argv[0]` (through bash's `exec -a`), and ended by its PID.
public struct HangupRecorder: @unchecked Sendable {
    // @unchecked: `Process` is only read (its pid, isRunning) and ended once, by the test that started it.
    public let process: Process
    public let marker: String
    public var pid: Int32 { process.processIdentifier }

    private static let script = """
    import signal, sys, time
    # A child inherits its parent thread's signal mask, and the test runner's threads
    # (dispatch workers) block signals: without this, SIGHUP and SIGTERM stay pending.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGHUP, signal.SIGTERM])
    def hup(number, frame):
        open(sys.argv[1], "w").write("hup")
    signal.signal(signal.SIGHUP, hup)
    print("ready", flush=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        time.sleep(0.05)
    """

    /// Starts the process and returns once its handler is installed (it printed `ready`);
    /// the waiting happens on a thread of its own (`OffPool`).
    public static func start(marker: String, argv0: String = "python3") async throws -> HangupRecorder {
        try await OffPool.run { try startBlocking(marker: marker, argv0: argv0) }
    }

    private static func startBlocking(marker: String, argv0: String) throws -> HangupRecorder {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "exec -a \"$0\" \"$1\" -c \"$2\" \"$3\"", argv0, try python(), script, marker]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let recorder = HangupRecorder(process: process, marker: marker)
        // Blocks until python prints (handler installed) or exits (EOF); python's own 30 s bound ends it.
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        guard line.hasPrefix("ready") else {
            recorder.stop()
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "python3 did not start: \(line)"])
        }
        return recorder
    }

    /// The interpreter itself, not a wrapper (pyenv's `python3` is a shell script that would
    /// receive the signal and hide `argv[0]`).
    static func python() throws -> String {
        let result = try CommandRunner.run("python3", ["-c", "import sys; print(sys.executable)"])
        let path = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.exitCode == 0, path.hasPrefix("/") else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "python3 not found: \(result.stderr)"])
        }
        return path
    }

    /// True once the marker exists, waiting up to `limit`.
    public func waitForMarker(limit: Duration = .seconds(5)) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if FileManager.default.fileExists(atPath: marker) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return FileManager.default.fileExists(atPath: marker)
    }

    /// SIGTERM by PID, then reap (python exits at once: it has no handler for it).
    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
    }

    /// A process id no process has: `pid_max` itself (ids go up to `pid_max - 1`), so a
    /// test that signals "no such process" can never hit a process started meanwhile,
    /// such as another test's pullguard. Without `/proc`, the id of a reaped child.
    public static func exitedProcessID() throws -> Int32 {
        if let text = try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8),
           let max = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            return max
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }
}
