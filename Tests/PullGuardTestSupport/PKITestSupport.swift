import Foundation
import PullGuardOpenSSL
import PullGuardCore

/// Helpers for the PKI tests: a scratch directory and the real `openssl` CLI,
/// which serves as an independent judge of what the generator wrote.
public enum PKITestSupport {
    public struct CommandResult {
        public var status: Int32
        /// stdout and stderr together, as a user would see them.
        public var output: String
    }

    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("pullguard-pki-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @discardableResult
    public static func write(_ text: String, _ name: String, in directory: URL) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// Runs `openssl ARGS…` and returns its exit status and combined output.
    public static func openssl(_ arguments: [String]) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        // Read before waiting so a full pipe cannot block the child.
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// `openssl x509 -noout ARGS… -in FILE` on a PEM written to a scratch file.
    public static func x509(_ certificatePEM: String, _ arguments: [String]) throws -> CommandResult {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try write(certificatePEM, "cert.pem", in: directory)
        return try openssl(["x509", "-noout", "-in", file.path] + arguments)
    }

    /// A root CA and an intermediate (pathlen 0) under it, both EC P-256.
    public static func rootAndIntermediate() throws -> (root: IssuedCertificate, intermediate: IssuedCertificate) {
        let root = try CertificateIssuer.issue(
            CertificateProfile(commonName: "Test Root CA", organization: "PullGuard Tests", isCA: true),
            signedBy: nil
        )
        let intermediate = try CertificateIssuer.issue(
            CertificateProfile(commonName: "Test Intermediate CA", isCA: true, pathLength: 0),
            signedBy: root
        )
        return (root, intermediate)
    }

    /// `openssl verify` of `leaf` against `root` with `intermediate` as untrusted chain.
    public static func verify(
        _ leaf: IssuedCertificate, root: IssuedCertificate, intermediate: IssuedCertificate,
        crlPEM: String? = nil, extra: [String] = []
    ) throws -> CommandResult {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let rootFile = try write(root.certificatePEM, "root.pem", in: directory)
        let interFile = try write(intermediate.certificatePEM, "inter.pem", in: directory)
        let leafFile = try write(leaf.certificatePEM, "leaf.pem", in: directory)
        var arguments = ["verify", "-CAfile", rootFile.path, "-untrusted", interFile.path]
        if let crlPEM {
            let crlFile = try write(crlPEM, "crl.pem", in: directory)
            arguments += ["-crl_check", "-CRLfile", crlFile.path]
        }
        return try openssl(arguments + extra + [leafFile.path])
    }
}
