import Foundation
import NIOCore
import PullGuardOpenSSL
import PullGuardTooling
import PullGuardCore

/// Everything a run needs from the outside world, read once before the first
/// connection: files, the resolved address, the target processes. Failures
/// here are bad flags (exit 2), each naming its flag.
struct BenchSetup {
    let settings: TLSClientSettings
    let address: SocketAddress
    let targets: [ProcessCPU]

    init(options: BenchOptions) throws {
        var identity: ServerIdentitySource?
        if let cert = options.certificateFile, let key = options.keyFile {
            identity = ServerIdentitySource(certificateChain: try Self.read(cert, flag: "--cert"),
                                            privateKey: try Self.read(key, flag: "--key"))
        }
        var roots: PEMSource?
        if case .caFile(let file) = options.trust { roots = try Self.read(file, flag: "--cacert") }
        settings = options.tlsSettings(identity: identity, trustRoots: roots)
        // Build one context now so bad material or groups fail before the run, naming the flag.
        do {
            _ = try OpenSSLClientContext(settings: settings)
        } catch {
            let flag = error is UnknownGroupsError ? "--groups" : "--cert/--key/--cacert"
            throw BenchOptionError(flag, "\(error)")
        }
        do {
            address = try SocketAddress.makeAddressResolvingHost(options.url.host, port: options.url.port)
        } catch {
            throw BenchOptionError("--url", "cannot resolve \(options.url.host): \(error)")
        }
        targets = try options.targetPIDs.map { pid in
            guard let target = ProcessCPU(pid: pid) else { throw BenchOptionError("--target-pid", "no process \(pid) (/proc/\(pid)/stat unreadable)") }
            return target
        }
    }

    private static func read(_ path: String, flag: String) throws -> PEMSource {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BenchOptionError(flag, "cannot read \(path)")
        }
        return PEMSource(origin: path, pem: Array(data))
    }
}
