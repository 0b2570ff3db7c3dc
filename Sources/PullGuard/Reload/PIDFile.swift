import Foundation

/// `pid_file`: the process id of a running PullGuard, for `pullguard reload` and for
/// service managers, as nginx's `pid` directive.
///
/// Written atomically (a temporary file in the same folder, then `rename`), so a reader
/// never sees a half-written number. Like nginx, an existing file is overwritten without
/// asking whether it names a live process: after a crash the file is stale, and refusing
/// to start over a stale file is worse than the rare case of two instances sharing a path.
public struct PIDFile: Sendable, Equatable {
    public let path: String
    public let pid: Int32

    /// Writes `pid` (by default this process's) to `path`, replacing any existing file.
    public static func write(path: String, pid: Int32 = getpid()) throws(PIDFileError) -> PIDFile {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = "\(path).\(pid).tmp"
        // The name is predictable, and pid files often live in shared folders: whatever is
        // already there (a leftover, or a symlink planted to make a root process overwrite
        // another file) is removed, never followed, and a file created in between is an error.
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .cannotWrite(path: path, reason: Self.directoryReason(directory, errno: errno))
        }
        let text = Array("\(pid)\n".utf8)
        let written = text.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        let writeError = errno
        close(descriptor)
        guard written == text.count else {
            unlink(temporary)
            throw .cannotWrite(path: path, reason: String(cString: strerror(writeError)))
        }
        guard rename(temporary, path) == 0 else {
            let error = errno
            unlink(temporary)
            throw .cannotWrite(path: path, reason: String(cString: strerror(error)))
        }
        return PIDFile(path: path, pid: pid)
    }

    /// Removes the file at a clean exit, but only while it still names this process: if
    /// another instance has since written its own id there, that file is left alone.
    public func remove() {
        guard (try? Self.read(path: path)) == pid else { return }
        unlink(path)
    }

    /// The process id in the file at `path`.
    public static func read(path: String) throws(PIDFileError) -> Int32 {
        guard let data = FileManager.default.contents(atPath: path) else {
            if FileManager.default.fileExists(atPath: path) {
                throw .unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            throw .missing(path: path)
        }
        guard let pid = parse(String(decoding: data.prefix(64), as: UTF8.self)) else {
            throw .garbage(path: path, content: String(decoding: data.prefix(40), as: UTF8.self))
        }
        return pid
    }

    /// A positive decimal process id, surrounding whitespace allowed. Nothing else: `0` or
    /// `-1` handed to `kill` would signal a whole process group or every process we may signal.
    public static func parse(_ text: String) -> Int32? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 10, trimmed.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let pid = Int32(trimmed), pid > 0 else { return nil }
        return pid
    }

    private static func directoryReason(_ directory: String, errno error: Int32) -> String {
        let folder = directory.isEmpty ? "." : directory
        switch error {
        case ENOENT: return "the folder \(folder) does not exist"
        case EACCES, EPERM, EROFS: return "the folder \(folder) is not writable (\(String(cString: strerror(error))))"
        default: return String(cString: strerror(error))
        }
    }
}

/// Why a pid file could not be written or read; each message names the file.
public enum PIDFileError: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotWrite(path: String, reason: String)
    case missing(path: String)
    case unreadable(path: String, reason: String)
    case garbage(path: String, content: String)

    public var description: String {
        switch self {
        case .cannotWrite(let path, let reason): return "cannot write the pid file \(path): \(reason)"
        case .missing(let path): return "pid file \(path) does not exist: is PullGuard running with this configuration?"
        case .unreadable(let path, let reason): return "cannot read the pid file \(path): \(reason)"
        case .garbage(let path, let content):
            return "pid file \(path) does not hold a process id (found \(String(reflecting: content)))"
        }
    }
}
