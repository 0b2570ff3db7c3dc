import Foundation
import Testing
@testable import PullGuardConfig
@testable import PullGuardCore
import PullGuardTestSupport

/// PEM material made at test time with the `openssl` CLI, shared by the Config tests.
struct ConfigTestPKI: Sendable {
    /// Created once per test process; the files are only ever read.
    static let shared: ConfigTestPKI = {
        do { return try ConfigTestPKI.make(in: ConfigTestPKI.temporaryDirectory("pullguard-config-tests")) }
        catch { fatalError("cannot create the test PKI with openssl: \(error)") }
    }()

    let directory: URL

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// `ca.pem`/`ca.key`, `ca2.pem`, `server.pem`/`server.key`, `ca.crl`.
    static func make(in directory: URL) throws -> ConfigTestPKI {
        try makeCA(named: "ca", in: directory)
        try makeCA(named: "ca2", in: directory)
        try makeSelfSigned(certificate: "server.pem", key: "server.key", commonName: "localhost", in: directory)
        try makeCRL(ca: "ca", output: "ca.crl", in: directory)
        return ConfigTestPKI(directory: directory)
    }

    static func makeCA(named name: String, in directory: URL) throws {
        try makeSelfSigned(certificate: "\(name).pem", key: "\(name).key", commonName: "Test CA \(name)", in: directory)
    }

    static func makeSelfSigned(certificate: String, key: String, commonName: String, in directory: URL) throws {
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                     "-keyout", key, "-out", certificate, "-subj", "/CN=\(commonName)", "-days", "2"], in: directory)
    }

    /// An empty CRL signed by `ca`, through `openssl ca -gencrl` and a throwaway database.
    static func makeCRL(ca: String, output: String, in directory: URL) throws {
        let database = directory.appendingPathComponent("crl-db-\(ca)")
        try FileManager.default.createDirectory(at: database, withIntermediateDirectories: true)
        try Data().write(to: database.appendingPathComponent("index.txt"))
        try Data("01\n".utf8).write(to: database.appendingPathComponent("crlnumber"))
        let config = """
        [ca]
        default_ca = test
        [test]
        database = \(database.path)/index.txt
        crlnumber = \(database.path)/crlnumber
        default_md = sha256
        default_crl_days = 30
        """
        try Data(config.utf8).write(to: database.appendingPathComponent("ca.cnf"))
        try openssl(["ca", "-config", database.appendingPathComponent("ca.cnf").path, "-gencrl",
                     "-keyfile", "\(ca).key", "-cert", "\(ca).pem", "-out", output], in: directory)
    }

    static func openssl(_ arguments: [String], in directory: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "openssl \(arguments) failed"])
        }
    }

    static func temporaryDirectory(_ prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

enum ConfigTestSupport {
    /// The repository's `certs/`, which holds the real Cloudflare origin-pull CA.
    static let repositoryCerts = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("certs").path

    /// A fixed environment: nothing from the real one leaks into a test.
    static func environment(variables: [String: String] = [:], currentDirectory: URL? = nil) -> ConfigEnvironment {
        ConfigEnvironment(
            variables: variables,
            currentDirectory: currentDirectory ?? ConfigTestPKI.shared.directory,
            executableURL: nil, coreCount: 3)
    }

    static func load(_ yaml: String, variables: [String: String] = [:]) throws -> PullGuardSettings {
        try ConfigLoader.load(yaml: yaml, baseDirectory: ConfigTestPKI.shared.directory,
                              environment: environment(variables: variables))
    }

    /// The problems loading `yaml` reports; records an issue when it loads.
    static func problems(_ yaml: String, variables: [String: String] = [:]) -> [ConfigProblem] {
        problems { try load(yaml, variables: variables) }
    }

    static func problems(_ body: () throws -> PullGuardSettings) -> [ConfigProblem] {
        do {
            _ = try body()
            Issue.record("expected the configuration to be refused")
            return []
        } catch let error as ConfigError {
            return error.problems
        } catch {
            Issue.record("unexpected error \(error)")
            return []
        }
    }

    /// A valid one-site config whose `client_auth` block can be replaced.
    static func minimal(clientAuth: String = "trust: [ca.pem]", extra: String = "", site: String = "") -> String {
        """
        listen: 127.0.0.1:8443
        \(extra)
        sites:
          - name: only
            certificates:
              - cert: server.pem
                key: server.key
            upstream: http://127.0.0.1:8080
        \(site)
            client_auth:
              \(clientAuth)
        """
    }
}
