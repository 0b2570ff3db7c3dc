import ArgumentParser

/// The `pullguard` binary: an origin-side mTLS reverse proxy.
///
/// Subcommands only parse flags and print; configuration rules live in
/// `PullGuard/Config`, serving in `PullGuardServer`, certificates in `PrivatePKI`.
@main
struct PullGuardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pullguard",
        abstract: "Origin-side mTLS reverse proxy: require client certificates, forward to a local HTTP upstream.",
        subcommands: [RunCommand.self, CheckCommand.self, VerifyCommand.self, ReloadCommand.self, DemoCommand.self, PKICommand.self]
    )
}
