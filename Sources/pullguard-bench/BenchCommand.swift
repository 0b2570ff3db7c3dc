import ArgumentParser
import Foundation
import PullGuardTooling

/// `pullguard-bench`: an mTLS load generator for PullGuard (or any HTTPS origin).
///
/// This file only declares the flags (their names are a contract) and maps
/// outcomes to exit codes: 0 all good, 1 errors during the run (the report is
/// still printed), 2 bad flags. Validation rules live in `BenchOptions`.
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pullguard-bench",
        abstract: "mTLS load generator: full handshakes, resumptions or keep-alive requests against an HTTPS URL.",
        discussion: """
            Prints progress on stderr once a second and a report on stdout (or one JSON object with --json).
            Exit status: 0 when connections succeeded without errors, 1 when there were errors, 2 for bad flags.
            """
    )

    @Option(help: "Target, https://host:port/path (required).")
    var url: String?

    @Option(help: "Client certificate chain (PEM) for mTLS; needs --key.")
    var cert: String?

    @Option(help: "Private key (PEM) for --cert.")
    var key: String?

    @Option(help: "CA bundle (PEM) to verify the server with.")
    var cacert: String?

    @Flag(help: "Do not verify the server (saves the bench's own CPU).")
    var insecure = false

    @Option(help: "SNI name to send (default: the URL host; an IP host sends none).")
    var sni: String?

    @Option(help: "Connections in flight.")
    var concurrency = 16

    @Option(help: "Seconds to measure (default 10); exclusive with --connections.")
    var duration: Double?

    @Option(help: "Stop after this many finished connections, successful or failed.")
    var connections: Int?

    @Option(help: "One event loop per thread.")
    var threads = 1

    @Option(help: "Pin the TLS version: 1.2 or 1.3 (default: negotiate).")
    var tls: String?

    @Option(help: "Key exchange groups, e.g. X25519, P-256 or X25519:P-256.")
    var groups: String?

    @Option(help: "full (new handshake per connection), resume (resume the worker's last session) or keepalive (default: full; keepalive with --http 2).")
    var mode: String?

    @Option(name: .customLong("requests-per-connection"), help: "Requests per connection in keepalive mode and with --http 2, over all streams (default 100).")
    var requestsPerConnection: Int?

    @Option(help: "HTTP version: 1.1, or 2 (ALPN h2; keep-alive connections with --streams concurrent streams).")
    var http = "1.1"

    @Option(help: "With --http 2: concurrent streams per connection (default 10, at most --requests-per-connection).")
    var streams: Int?

    @Option(name: .customLong("expect-status"), help: "Status a response must have to count as a success.")
    var expectStatus = 200

    @Option(help: "Seconds one connection may take before it counts as a timeout.")
    var timeout: Double = 10

    @Flag(help: "Print one JSON object on stdout instead of the table.")
    var json = false

    @Option(name: .customLong("target-pid"), help: "Process whose CPU (utime+stime, all threads) is reported per connection and request; repeatable.")
    var targetPID: [Int] = []

    @Option(help: "Seconds of warm-up excluded from counts and CPU.")
    var warmup: Double = 0

    var flags: BenchFlags {
        var flags = BenchFlags()
        flags.url = url
        flags.cert = cert
        flags.key = key
        flags.cacert = cacert
        flags.insecure = insecure
        flags.sni = sni
        flags.concurrency = concurrency
        flags.duration = duration
        flags.connections = connections
        flags.threads = threads
        flags.tls = tls
        flags.groups = groups
        flags.mode = mode
        flags.requestsPerConnection = requestsPerConnection
        flags.http = http
        flags.streams = streams
        flags.expectStatus = expectStatus
        flags.timeout = timeout
        flags.json = json
        flags.targetPIDs = targetPID
        flags.warmup = warmup
        return flags
    }

    /// ArgumentParser exits 64 on usage errors; our contract is 2 for every bad flag.
    static func main() {
        let command: BenchCommand
        do {
            command = try parse()
        } catch {
            if exitCode(for: error) == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            failUsage(message(for: error))
        }
        let options: BenchOptions
        let setup: BenchSetup
        do {
            options = try BenchOptions(validating: command.flags)
            setup = try BenchSetup(options: options)
        } catch {
            failUsage(String(describing: error))
        }
        let report = BenchRunner(options: options, setup: setup).run()
        print(options.json ? report.json() : report.table())
        Foundation.exit(report.exitCode)
    }

    static func failUsage(_ message: String) -> Never {
        FileHandle.standardError.write(Data("pullguard-bench: error: \(message)\n".utf8))
        Foundation.exit(2)
    }
}
