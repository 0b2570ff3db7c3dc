import ArgumentParser
import Foundation
import Logging
import PullGuard
import PullGuardConfig

/// Output conventions of the binary: diagnostics on stderr prefixed `pullguard:`,
/// so tests and scripts can parse them whatever the log level.
enum Console {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("pullguard: error: \(message)\n".utf8))
    }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data("pullguard: \(message)\n".utf8))
    }

    /// Prints a startup failure the documented way and exits 1; config errors get one line per problem.
    static func fail(_ error: Error) -> ExitCode {
        if let config = error as? ConfigError {
            for problem in config.problems { Console.error(problem.description) }
        } else {
            Console.error(String(describing: error))
        }
        return ExitCode.failure
    }

    /// swift-log on stderr at the configured level; bootstrapping twice traps, so only `run`/`demo` call this once.
    static func bootstrapLogging(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
