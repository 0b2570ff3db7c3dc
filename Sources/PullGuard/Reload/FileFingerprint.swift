import Foundation

/// What a watched path looks like at one moment, compared between polls to notice a change.
///
/// Taken through the path as configured, following every symlink, so each way a file is
/// replaced shows up: a rewrite in place (size, mtime, content), an editor's write-and-rename
/// (a new inode), a delete (`missing`) and re-create, and Kubernetes' atomic update of a
/// mounted Secret or ConfigMap, where `cert.pem -> ..data/cert.pem` stays put but `..data`
/// is re-pointed at a new timestamped folder (a new resolved path and inode).
public enum FileFingerprint: Sendable, Hashable {
    /// The path (or a link on the way to it) does not exist.
    case missing
    /// `stat` failed for another reason (permissions, a loop of links): its errno.
    case unreadable(errno: Int32)
    case present(Present)

    public struct Present: Sendable, Hashable {
        public var device: UInt64
        public var inode: UInt64
        public var size: Int64
        /// Modification time in nanoseconds since the epoch.
        public var modifiedNanoseconds: Int64
        /// The path with every symlink resolved (`realpath`).
        public var resolvedPath: String
        /// A hash of the contents for files up to `hashedSizeLimit`, so a same-size rewrite
        /// within one mtime tick is still seen; nil for larger files or when unreadable.
        /// Only compared within one process (`Hasher` is seeded per process).
        public var contentHash: Int?

        public init(device: UInt64, inode: UInt64, size: Int64, modifiedNanoseconds: Int64,
                    resolvedPath: String, contentHash: Int?) {
            self.device = device
            self.inode = inode
            self.size = size
            self.modifiedNanoseconds = modifiedNanoseconds
            self.resolvedPath = resolvedPath
            self.contentHash = contentHash
        }
    }

    /// PEM files and configs are kilobytes; reading them every poll costs nothing.
    public static let hashedSizeLimit = 1 << 20

    /// The fingerprint of `path` now. Blocking file-system calls: call it off the event loops.
    public static func of(_ path: String) -> FileFingerprint {
        var status = stat()
        guard stat(path, &status) == 0 else {
            let error = errno
            return error == ENOENT || error == ENOTDIR ? .missing : .unreadable(errno: error)
        }
        let resolved = realpath(path, nil).map { pointer in
            defer { free(pointer) }
            return String(cString: pointer)
        } ?? path
        let size = Int64(status.st_size)
        return .present(Present(
            device: UInt64(status.st_dev), inode: UInt64(status.st_ino), size: size,
            modifiedNanoseconds: modificationNanoseconds(status),
            resolvedPath: resolved,
            contentHash: size <= hashedSizeLimit && (status.st_mode & S_IFMT) == S_IFREG ? contentHash(path) : nil))
    }

    /// Fingerprints of every path, keyed by path.
    public static func snapshot(of paths: [String]) -> [String: FileFingerprint] {
        var snapshot: [String: FileFingerprint] = [:]
        for path in paths { snapshot[path] = of(path) }
        return snapshot
    }

    private static func modificationNanoseconds(_ status: stat) -> Int64 {
        #if canImport(Darwin)
        return Int64(status.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(status.st_mtimespec.tv_nsec)
        #else
        return Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
        #endif
    }

    private static func contentHash(_ path: String) -> Int? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: hashedSizeLimit + 1) else { return nil }
        var hasher = Hasher()
        hasher.combine(data)
        return hasher.finalize()
    }
}
