import Foundation

/// How a configured path becomes absolute.
enum ConfigPath {
    /// Relative paths resolve against `directory` (the config file's folder, or the
    /// current directory for flags) whether or not its URL ends in a slash; `..`
    /// and `.` are folded so error messages show the file actually opened.
    static func resolve(_ path: String, against directory: URL) -> String {
        let url = path.hasPrefix("/")
            ? URL(fileURLWithPath: path)
            : URL(fileURLWithPath: directory.path, isDirectory: true).appendingPathComponent(path)
        return url.standardizedFileURL.path
    }
}
