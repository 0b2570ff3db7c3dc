import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// File handling for `PrivatePKI`: private directories and atomic writes.
///
/// Keys are created with their final mode already set (`open(…, 0600)`), not
/// chmod-ed afterwards, so no other user can open a key in the moment between
/// creation and chmod. Writing to a temporary file and renaming it over the
/// target means a crash or a full disk never leaves half a PEM behind.
extension PrivatePKI {
    static let privateFileMode: mode_t = 0o600
    static let publicFileMode: mode_t = 0o644
    static let directoryMode: mode_t = 0o700

    /// Creates `directory` (and parents) with mode 0700 when it does not exist.
    /// An existing directory keeps its mode: the user may have chosen it.
    static func ensureDirectory(_ directory: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw PrivatePKIError.fileSystem(path: directory, reason: "exists but is not a directory")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw PrivatePKIError.fileSystem(path: directory, reason: "cannot create directory: \(error)")
        }
        // Set explicitly: createDirectory's mode is subject to the umask.
        guard chmod(directory.path, directoryMode) == 0 else {
            throw PrivatePKIError.fileSystem(path: directory, reason: systemError("chmod"))
        }
    }

    /// Replaces `url` with `text` atomically, with exactly `mode`.
    static func writeAtomically(_ text: String, to url: URL, mode: mode_t) throws {
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            throw PrivatePKIError.fileSystem(path: url, reason: systemError("cannot create a temporary file"))
        }
        var renamed = false
        defer { if !renamed { unlink(temporary.path) } }
        do {
            defer { close(descriptor) }
            // fchmod because open's mode is reduced by the umask; we want exactly `mode`.
            guard fchmod(descriptor, mode) == 0 else { throw PrivatePKIError.fileSystem(path: url, reason: systemError("fchmod")) }
            let bytes = Array(text.utf8)
            var written = 0
            while written < bytes.count {
                let result = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                if result < 0 {
                    if errno == EINTR { continue }
                    throw PrivatePKIError.fileSystem(path: url, reason: systemError("write"))
                }
                written += result
            }
            guard fsync(descriptor) == 0 else { throw PrivatePKIError.fileSystem(path: url, reason: systemError("fsync")) }
        }
        guard rename(temporary.path, url.path) == 0 else {
            throw PrivatePKIError.fileSystem(path: url, reason: systemError("rename"))
        }
        renamed = true
    }

    static func readText(_ url: URL) throws -> String {
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw PrivatePKIError.fileSystem(path: url, reason: "cannot read: \(error)")
        }
    }

    static func exists(_ url: URL) -> Bool {
        FileManager.default.fileExists(atPath: url.path)
    }

    private static func systemError(_ what: String) -> String {
        "\(what) failed: \(String(cString: strerror(errno)))"
    }
}
