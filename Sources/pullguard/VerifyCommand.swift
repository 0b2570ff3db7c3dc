import ArgumentParser
import Foundation
import PullGuard
import PullGuardConfig
import PullGuardCore

/// `pullguard verify`: offline, would this client chain be admitted, and if not, why.
/// Exit 0 admitted, 1 refused (or, in `optional` mode, forwarded unverified), 2 for a usage
/// or configuration error.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check offline whether a client certificate chain would be admitted, and why not.",
        discussion: "Uses the site's own verifier, as a handshake does. Exit status: 0 admitted, "
            + "1 refused or forwarded unverified, 2 usage or configuration error."
    )

    @Option(help: "YAML configuration file.")
    var config: String?

    @Option(help: "Verify for the site with this name.")
    var site: String?

    @Option(help: "Verify for the site a handshake with this SNI would get (default: no SNI, the default site).")
    var sni: String?

    @Flag(help: "Print the answer as JSON.")
    var json = false

    @Argument(help: "The client's chain (PEM): its certificate first, then the intermediates it sends.")
    var chain: String?

    /// Usage and configuration errors exit 2, like `verify`'s documentation says; refusals exit 1.
    static let usageOrConfigurationError = ExitCode(2)

    func run() async throws {
        guard let config else { throw usage("--config FILE is required") }
        guard let chain else { throw usage("give the client chain file (PEM) to verify") }
        if site != nil, sni != nil { throw usage("--site and --sni choose the site two ways; give one") }
        let settings: PullGuardSettings
        do {
            settings = try ConfigLoader.load(file: config)
        } catch let error as ConfigError {
            for problem in error.problems { Console.error(problem.description) }
            throw Self.usageOrConfigurationError
        }
        let path = URL(fileURLWithPath: chain).standardizedFileURL.path
        guard let bytes = FileManager.default.contents(atPath: path) else {
            Console.error("\(path): cannot read the client chain file")
            throw Self.usageOrConfigurationError
        }
        let report: ClientChainReport
        do {
            report = try OfflineVerification.check(settings: settings, chainPEM: Array(bytes), origin: path,
                                                   site: site.map { .named($0) } ?? .serverName(sni))
        } catch {
            Console.error(String(describing: error))
            throw Self.usageOrConfigurationError
        }
        print(json ? try report.json() : report.lines.joined(separator: "\n"))
        if !report.admitted { throw ExitCode.failure }
    }

    private func usage(_ message: String) -> ExitCode {
        Console.error(message)
        return Self.usageOrConfigurationError
    }
}
