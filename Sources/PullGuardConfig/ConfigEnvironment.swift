import Foundation
import NIOCore

/// What loading a configuration may learn from the process around it.
///
/// Passed in rather than read ad hoc so tests can point the `cloudflare` keyword
/// at a chosen certs folder and pin the core count, without touching the real
/// environment.
public struct ConfigEnvironment: Sendable {
    /// Environment variables (only `PULLGUARD_CERTS_DIR` is read).
    public var variables: [String: String]
    /// Where `./certs` and relative CLI paths resolve.
    public var currentDirectory: URL
    /// The running binary, so a `swift build` binary finds the repository's `certs/`.
    public var executableURL: URL?
    /// The default for `workers`.
    public var coreCount: Int

    public init(variables: [String: String], currentDirectory: URL, executableURL: URL?, coreCount: Int) {
        self.variables = variables
        self.currentDirectory = currentDirectory
        self.executableURL = executableURL
        self.coreCount = coreCount
    }

    /// The real process environment.
    public static var current: ConfigEnvironment {
        ConfigEnvironment(
            variables: ProcessInfo.processInfo.environment,
            currentDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true),
            executableURL: Bundle.main.executableURL,
            coreCount: System.coreCount
        )
    }
}
