import ArgumentParser
import PullGuard
import PullGuardCore

/// The `pullguard` binary: an origin-side mTLS reverse proxy.
///
/// Subcommands only parse flags and print; configuration rules live in
/// `PullGuard/Config`, serving in `PullGuardServer`, certificates in `PrivatePKI`.
@main
struct PullGuardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pullguard",
        abstract: "Origin-side mTLS reverse proxy: require client certificates, forward to a local HTTP upstream.",
        // The man page is generated from this help (make man), so it carries the same version.
        discussion: "PullGuard \(PullGuardVersion.current). pullguard --version also prints the OpenSSL and nghttp2 libraries in use.",
        version: VersionReport.text,
        subcommands: [RunCommand.self, CheckCommand.self, VerifyCommand.self, ReloadCommand.self, DemoCommand.self, PKICommand.self]
    )
}
