import ArgumentParser
import Foundation
import Logging
import NIOPosix
import PullGuard
import PullGuardConfig
import PullGuardTooling

/// `pullguard demo`: a private CA, a server and a client certificate, a built-in
/// upstream and the proxy in front of it, so mTLS can be tried with curl in one step.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a self-contained mTLS demo with a generated private PKI and a built-in upstream."
    )

    @Option(name: .customLong("state-dir"), help: "Where the demo PKI lives (default: $PULLGUARD_STATE_DIR or ./.pullguard-demo).")
    var stateDir: String?

    @Option(help: "Port to listen on (127.0.0.1).")
    var port: Int = 8443

    func run() async throws {
        Console.bootstrapLogging(level: .info)
        let directory = URL(fileURLWithPath: resolvedStateDir).standardizedFileURL
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let pki = try PrivatePKI(directory: directory).ensureDemo()
            let upstream = try await BuiltInUpstream.start(host: "127.0.0.1", port: 0, group: group)
            do {
                let flags = flags(pki: pki, upstreamPort: upstream.port)
                let settings = try ConfigLoader.load(flags: flags)
                try await ProxyRunner.run(settings: settings, logger: Logger(label: "pullguard"),
                                          load: { try ConfigLoader.load(flags: flags) }) { server in
                    printInstructions(pki: pki, port: server.boundAddresses.first?.port ?? port)
                }
            } catch {
                try? await upstream.shutdown()
                throw error
            }
            try await upstream.shutdown()
        } catch {
            try? await group.shutdownGracefully()
            throw Console.fail(error)
        }
        try await group.shutdownGracefully()
    }

    private var resolvedStateDir: String {
        if let stateDir { return stateDir }
        if let fromEnvironment = ProcessInfo.processInfo.environment["PULLGUARD_STATE_DIR"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return "./.pullguard-demo"
    }

    /// The demo goes through the same flag validation as `pullguard run`.
    private func flags(pki: DemoPKIPaths, upstreamPort: Int) -> SingleSiteFlags {
        var flags = SingleSiteFlags()
        flags.listen = ["127.0.0.1:\(port)"]
        flags.upstream = "http://127.0.0.1:\(upstreamPort)"
        flags.certificates = [pki.serverCertificate.path]
        flags.keys = [pki.serverPrivateKey.path]
        flags.clientCAs = [pki.caCertificate.path]
        flags.verifyDepth = 1
        flags.verify = "require"
        // A free port, announced as `admin listening on ...`: a second demo, or anything
        // else on 9901, must not stop the demo from starting.
        flags.admin = "127.0.0.1:0"
        return flags
    }

    private func printInstructions(pki: DemoPKIPaths, port: Int) {
        let url = "https://localhost:\(port)/"
        let ca = pki.caCertificate.path
        print("""

        PullGuard demo: client certificates from the demo CA are required.

        With the client certificate (expect HTTP 200 from the built-in upstream):
          curl --cacert \(ca) --cert \(pki.clientCertificate.path) --key \(pki.clientPrivateKey.path) \(url)

        Without it (expect the handshake to fail with a TLS alert: certificate required):
          curl --cacert \(ca) \(url)

        Press Ctrl-C to stop.
        """)
        // Standard output may be a pipe or a file (make demo | tee): show the commands now.
        fflush(nil)
    }
}
