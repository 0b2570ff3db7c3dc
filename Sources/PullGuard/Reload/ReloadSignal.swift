import Foundation

/// `pullguard reload`'s last step: send SIGHUP to a running PullGuard, after checking
/// that the process exists and, when its id came from a pid file, that it is a PullGuard.
///
/// The check matters because SIGHUP's default action is to terminate: a stale pid file
/// whose id was reused by another program would otherwise have that program killed.
public enum ReloadSignal {
    /// Where the process id came from.
    public enum Source: Sendable, Equatable {
        /// `--pid`: the operator named the process; it is signalled as long as it exists.
        case explicit
        /// Read from `pid_file`: the process must look like a PullGuard.
        case pidFile(String)
    }

    /// Sends SIGHUP to `pid`.
    public static func send(to pid: Int32, source: Source) throws(ReloadSignalError) {
        guard pid > 0 else { throw .noSuchProcess(pid: pid, source: source) }
        if kill(pid, 0) != 0 {
            let error = errno
            if error == ESRCH { throw .noSuchProcess(pid: pid, source: source) }
            throw .notPermitted(pid: pid, reason: String(cString: strerror(error)))
        }
        if case .pidFile = source, let name = commandName(of: pid), !looksLikePullGuard(name) {
            throw .notPullGuard(pid: pid, command: name, source: source)
        }
        guard kill(pid, SIGHUP) == 0 else {
            let error = errno
            if error == ESRCH { throw .noSuchProcess(pid: pid, source: source) }
            throw .notPermitted(pid: pid, reason: String(cString: strerror(error)))
        }
    }

    /// `argv[0]` of a process, from `/proc`; nil where there is no `/proc` or it cannot be read.
    static func commandName(of pid: Int32) -> String? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else { return nil }
        let first = data.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false).first ?? data[...]
        return String(decoding: first, as: UTF8.self)
    }

    /// True when the program's file name mentions pullguard (`/usr/bin/pullguard`, `.build/debug/pullguard`).
    static func looksLikePullGuard(_ command: String) -> Bool {
        (command as NSString).lastPathComponent.lowercased().contains("pullguard")
    }
}

/// Why the reload signal was not sent.
public enum ReloadSignalError: Error, Sendable, Equatable, CustomStringConvertible {
    case noSuchProcess(pid: Int32, source: ReloadSignal.Source)
    case notPermitted(pid: Int32, reason: String)
    case notPullGuard(pid: Int32, command: String, source: ReloadSignal.Source)

    public var description: String {
        switch self {
        case .noSuchProcess(let pid, let source):
            let stale = if case .pidFile(let path) = source { " (the pid file \(path) is stale)" } else { "" }
            return "no process \(pid) is running\(stale)"
        case .notPermitted(let pid, let reason):
            return "cannot signal process \(pid): \(reason); run as the user PullGuard runs as"
        case .notPullGuard(let pid, let command, let source):
            let path = if case .pidFile(let path) = source { path } else { "" }
            return "process \(pid) is '\(command)', not pullguard: the pid file \(path) looks stale; "
                + "nothing was sent (use --pid \(pid) to signal it anyway)"
        }
    }
}
