import ArgumentParser
import Foundation
import PullGuard
import PullGuardTooling

/// `pullguard pki`: a small private CA for client certificates, e.g. the one you
/// upload to Cloudflare for zone-level or per-hostname Authenticated Origin Pulls.
struct PKICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki",
        abstract: "Create a private CA and issue client certificates.",
        subcommands: [PKIInitCommand.self, PKIIssueClientCommand.self]
    )

    /// Where the PKI lives unless `--dir` says otherwise.
    static func directory(_ option: String?) -> URL {
        let path = option ?? ProcessInfo.processInfo.environment["PULLGUARD_STATE_DIR"].map { "\($0)/pki" } ?? "./pullguard-pki"
        return URL(fileURLWithPath: path).standardizedFileURL
    }
}

struct PKIInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create the private CA.")

    @Option(help: "PKI folder (default: $PULLGUARD_STATE_DIR/pki or ./pullguard-pki).")
    var dir: String?

    @Flag(help: "Replace an existing CA (certificates it issued stop verifying).")
    var force = false

    func run() throws {
        do {
            let paths = try PrivatePKI(directory: PKICommand.directory(dir)).initialize(overwrite: force)
            print("CA certificate: \(paths.caCertificate.path)")
            print("CA key:         \(paths.caPrivateKey.path)  (keep private)")
            print("Trust it with `trust: [\(paths.caCertificate.path)]` or `--client-ca \(paths.caCertificate.path)`.")
        } catch {
            throw Console.fail(error)
        }
    }
}

struct PKIIssueClientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue-client", abstract: "Issue a client certificate from the private CA.")

    @Argument(help: "Client name (the certificate's common name).")
    var name: String

    @Option(help: "PKI folder (default: $PULLGUARD_STATE_DIR/pki or ./pullguard-pki).")
    var dir: String?

    @Option(help: "Validity in days.")
    var days: Int = 365

    func run() throws {
        do {
            let issued = try PrivatePKI(directory: PKICommand.directory(dir)).issueClient(name: name, days: days)
            print("client certificate: \(issued.cert.path)")
            print("client key:         \(issued.key.path)")
            print("""

            For Cloudflare Authenticated Origin Pulls with your own certificate (zone-level or
            per-hostname), upload this certificate and key to Cloudflare (SSL/TLS > Origin Server >
            Authenticated Origin Pulls, or the origin_tls_client_auth API) and enable it; then have
            PullGuard trust only your CA, in \(PKICommand.directory(dir).path), instead of `cloudflare`,
            so requests proxied for other Cloudflare accounts are refused.
            """)
        } catch {
            throw Console.fail(error)
        }
    }
}
