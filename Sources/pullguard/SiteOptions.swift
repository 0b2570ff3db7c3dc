import ArgumentParser
import Foundation
import Logging
import PullGuard
import PullGuardCore
import PullGuardConfig

/// `--config FILE`, or the flags of a single site; shared by `run` and `check`
/// so both accept exactly the same ways of describing a proxy.
struct SiteOptions: ParsableArguments {
    @Option(help: "YAML configuration file (cannot be combined with the site flags).")
    var config: String?

    @Option(help: "Address to listen on, host:port or [v6]:port; repeatable.")
    var listen: [String] = []

    @Option(help: "Admin listener (/metrics, /healthz, /readyz, /config): host:port, or off (default 127.0.0.1:9901).")
    var admin: String?

    @Option(help: "Plain-HTTP upstream, http://host:port.")
    var upstream: String?

    @Option(name: .customLong("cert"), help: "Server certificate chain (PEM, leaf first); repeatable, pairs with --key in order.")
    var certificates: [String] = []

    @Option(name: .customLong("key"), help: "Private key (PEM) for the --cert at the same position.")
    var keys: [String] = []

    @Option(name: .customLong("client-ca"), help: "Trusted client CA: `cloudflare` or a PEM bundle path; repeatable.")
    var clientCAs: [String] = []

    @Option(name: .customLong("verify-depth"), help: "Intermediate CAs allowed between client certificate and trust anchor (default 1).")
    var verifyDepth: Int?

    @Option(name: .customLong("crl"), help: "PEM CRL file; repeatable.")
    var crls: [String] = []

    @Option(help: "Client certificate mode: require (default) or optional.")
    var verify: String?

    @Option(help: "Event loop threads (default: one per core).")
    var workers: Int?

    @Option(name: .customLong("server-name"), help: "SNI name this site answers to; repeatable, optional.")
    var serverNames: [String] = []

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (overrides the config file).")
    var logLevel: String?

    @Option(name: .customLong("certs-dir"), help: "Folder holding \(CloudflareOriginPull.caFileName).")
    var certsDir: String?

    @Option(name: .customLong("access-log"), help: "Access log (one JSON line per request): stdout, stderr, off (default) or a file.")
    var accessLog: String?

    @Flag(help: "Also send RFC 9440 Client-Cert and Client-Cert-Chain headers upstream.")
    var rfc9440 = false

    var flags: SingleSiteFlags {
        var flags = SingleSiteFlags()
        flags.listen = listen
        flags.upstream = upstream
        flags.certificates = certificates
        flags.keys = keys
        flags.clientCAs = clientCAs
        flags.crls = crls
        flags.verifyDepth = verifyDepth
        flags.verify = verify
        flags.workers = workers
        flags.serverNames = serverNames
        flags.logLevel = logLevel
        flags.certsDir = certsDir
        flags.rfc9440 = rfc9440
        flags.admin = admin
        flags.accessLog = accessLog
        return flags
    }

    /// Validated settings from whichever form was given; throws `ConfigError` with every problem.
    func settings() throws -> PullGuardSettings {
        let flags = self.flags
        guard let config else {
            guard flags.describesSite || logLevel != nil else {
                throw ConfigError.invalid([ConfigProblem(
                    keyPath: "", message: "give --config FILE, or --listen, --upstream, --cert, --key and --client-ca for a single site")])
            }
            return try ConfigLoader.load(flags: flags)
        }
        guard !flags.describesSite else {
            throw ConfigError.invalid([ConfigProblem(
                keyPath: "--config",
                message: "cannot be combined with site flags (--listen, --upstream, --cert, --key, --client-ca, "
                    + "--verify-depth, --crl, --verify, --workers, --server-name, --certs-dir, --rfc9440, --access-log); "
                    + "put those settings in the config file")])
        }
        var settings = try ConfigLoader.load(file: config)
        if let logLevel {
            guard let level = Logger.Level(rawValue: logLevel) else {
                throw ConfigError.invalid([ConfigProblem(
                    keyPath: "--log-level",
                    message: "'\(logLevel)' is not one of: \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")])
            }
            settings.logLevel = level
        }
        // Like --log-level, --admin overrides the file: a deployment (or a test running many
        // instances) can move or turn off the admin listener without editing the config.
        if let admin {
            if admin == "off" {
                settings.admin = AdminSettings(listen: nil)
            } else if let address = ListenAddress(parsing: admin) {
                settings.admin = AdminSettings(listen: address)
            } else {
                throw ConfigError.invalid([ConfigProblem(
                    keyPath: "--admin", message: "'\(admin)' is not an address to listen on; use host:port, [v6]:port, :port or off")])
            }
        }
        return settings
    }
}
