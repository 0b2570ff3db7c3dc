import ArgumentParser
import Logging
import PullGuard
import PullGuardCore

/// `pullguard run`: serve until SIGINT/SIGTERM.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the proxy from --config FILE or from single-site flags."
    )

    @OptionGroup var site: SiteOptions

    func run() async throws {
        let settings: PullGuardSettings
        do {
            settings = try site.settings()
        } catch {
            throw Console.fail(error)
        }
        Console.bootstrapLogging(level: settings.logLevel)
        do {
            let site = self.site
            try await ProxyRunner.run(settings: settings, logger: Logger(label: "pullguard"), load: { try site.settings() })
        } catch {
            throw Console.fail(error)
        }
    }
}
