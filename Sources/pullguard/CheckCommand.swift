import ArgumentParser
import PullGuard
import PullGuardCore
import PullGuardConfig

/// `pullguard check`: validate without serving, as `nginx -t` does.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a configuration (and the TLS material it names), print warnings and a summary."
    )

    @OptionGroup var site: SiteOptions

    @Flag(help: "Exit 1 when there are warnings, not only errors (for CI pipelines).")
    var strict = false

    func run() async throws {
        let settings: PullGuardSettings
        do {
            settings = try site.settings()
        } catch let error as ConfigError {
            for problem in error.problems { print(problem) }
            throw ExitCode.failure
        }
        // The TLS layer's own checks (pins, key/cert match, loadable chains) need OpenSSL, so they live there.
        let preflight = ServerPreflight.problems(in: settings)
        guard preflight.isEmpty else {
            for problem in preflight { print(problem) }
            throw ExitCode.failure
        }
        let warnings = ConfigLint.warnings(in: settings, keyPaths: site.config == nil ? .flags : .file)
        for warning in warnings { print(warning) }
        print(ConfigSummary.lines(for: settings).joined(separator: "\n"))
        if !warnings.isEmpty {
            let noun = warnings.count == 1 ? "warning" : "warnings"
            print("\(warnings.count) \(noun)" + (strict ? " (--strict: failing)" : ""))
            if strict { throw ExitCode.failure }
        }
    }
}
