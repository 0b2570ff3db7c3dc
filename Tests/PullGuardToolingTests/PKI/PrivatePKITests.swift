import Foundation
import Testing
@testable import PullGuardTooling
import PullGuardTestSupport

@Suite("PKI: PrivatePKI state folder")
struct PrivatePKITests {
    private static func mode(_ url: URL) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// A scratch parent plus a not-yet-existing state folder inside it, so
    /// `initialize` has to create the folder itself.
    private static func scratchPKI() throws -> (parent: URL, pki: PrivatePKI) {
        let parent = try PKITestSupport.temporaryDirectory()
        return (parent, PrivatePKI(directory: parent.appendingPathComponent("state/pki", isDirectory: true)))
    }

    @Test("initialize creates a 0700 folder, a CA certificate and a 0600 CA key")
    func initializeCreatesCA() throws {
        let (parent, pki) = try Self.scratchPKI()
        defer { try? FileManager.default.removeItem(at: parent) }
        let paths = try pki.initialize(commonName: "Test Private CA")
        #expect(try Self.mode(paths.directory) == 0o700)
        #expect(try Self.mode(paths.caPrivateKey) == 0o600)
        #expect(try Self.mode(paths.caCertificate) == 0o644)
        let text = try PKITestSupport.openssl(["x509", "-noout", "-subject", "-ext", "basicConstraints", "-in", paths.caCertificate.path])
        #expect(text.output.contains("subject=O = PullGuard, CN = Test Private CA"))
        #expect(text.output.contains("CA:TRUE"))
        let key = try String(contentsOf: paths.caPrivateKey, encoding: .utf8)
        #expect(key.hasPrefix("-----BEGIN PRIVATE KEY-----"))
    }

    @Test("a second initialize refuses and names the existing CA file; overwrite replaces it")
    func secondInitializeRefuses() throws {
        let (parent, pki) = try Self.scratchPKI()
        defer { try? FileManager.default.removeItem(at: parent) }
        let first = try pki.initialize()
        let firstPEM = try String(contentsOf: first.caCertificate, encoding: .utf8)
        #expect(throws: PrivatePKIError.caAlreadyExists(pki.caCertificateURL)) {
            try pki.initialize()
        }
        #expect(PrivatePKIError.caAlreadyExists(pki.caCertificateURL).description.contains(pki.caCertificateURL.path))
        #expect(try String(contentsOf: first.caCertificate, encoding: .utf8) == firstPEM)
        try pki.initialize(overwrite: true)
        #expect(try String(contentsOf: first.caCertificate, encoding: .utf8) != firstPEM)
    }

    @Test("issueClient writes clients/NAME.pem and a 0600 key that verify against the CA for client auth")
    func issueClientVerifies() throws {
        let (parent, pki) = try Self.scratchPKI()
        defer { try? FileManager.default.removeItem(at: parent) }
        let ca = try pki.initialize()
        let client = try pki.issueClient(name: "cloudflare-origin_1.a", days: 30)
        #expect(client.cert.path.hasSuffix("state/pki/clients/cloudflare-origin_1.a.pem"))
        #expect(try Self.mode(client.key) == 0o600)
        let verified = try PKITestSupport.openssl([
            "verify", "-CAfile", ca.caCertificate.path, "-purpose", "sslclient", client.cert.path,
        ])
        #expect(verified.status == 0, "\(verified.output)")
        let text = try PKITestSupport.openssl(["x509", "-noout", "-subject", "-ext", "extendedKeyUsage", "-in", client.cert.path])
        #expect(text.output.contains("subject=CN = cloudflare-origin_1.a"))
        #expect(text.output.contains("TLS Web Client Authentication"))
        // The key on disk belongs to the certificate on disk.
        let certKey = try PKITestSupport.openssl(["x509", "-noout", "-pubkey", "-in", client.cert.path])
        let fileKey = try PKITestSupport.openssl(["pkey", "-pubout", "-in", client.key.path])
        #expect(certKey.output == fileKey.output)
    }

    @Test("invalid client names are refused before anything is written", arguments: ["", "..", ".", "a/b", "with space", "ümlaut", String(repeating: "x", count: 65)])
    func invalidClientName(name: String) throws {
        let (parent, pki) = try Self.scratchPKI()
        defer { try? FileManager.default.removeItem(at: parent) }
        try pki.initialize()
        #expect(throws: PrivatePKIError.invalidClientName(name)) {
            try pki.issueClient(name: name)
        }
        #expect(!FileManager.default.fileExists(atPath: pki.clientsDirectory.path))
    }

    @Test("issueClient without a CA tells the user to run `pullguard pki init`")
    func issueClientWithoutCA() throws {
        let (parent, pki) = try Self.scratchPKI()
        defer { try? FileManager.default.removeItem(at: parent) }
        do {
            try pki.issueClient(name: "alice")
            Issue.record("issuing without a CA succeeded")
        } catch let error as PrivatePKIError {
            #expect(error == .caMissing(pki.caCertificateURL))
            #expect(error.description.contains("pullguard pki init"))
        }
    }

    @Test("issueServer adds localhost and serverAuth and verifies for the given host name")
    func issueServerVerifies() throws {
        let (parent, pki) = try Self.scratchPKI()
        defer { try? FileManager.default.removeItem(at: parent) }
        try pki.initialize()
        let server = try pki.issueServer(names: ["origin.example.test"])
        let text = try PKITestSupport.openssl(["x509", "-noout", "-ext", "subjectAltName", "-in", server.cert.path])
        #expect(text.output.contains("DNS:origin.example.test, DNS:localhost"))
        let verified = try PKITestSupport.openssl([
            "verify", "-CAfile", pki.caCertificateURL.path, "-purpose", "sslserver",
            "-verify_hostname", "origin.example.test", server.cert.path,
        ])
        #expect(verified.status == 0, "\(verified.output)")
        #expect(throws: PrivatePKIError.invalidServerName("bad name")) { try pki.issueServer(names: ["bad name"]) }
    }

    @Test("ensureDemo creates CA, server and demo-client once and reuses them on the next run")
    func ensureDemoReuses() throws {
        let (parent, pki) = try Self.scratchPKI()
        defer { try? FileManager.default.removeItem(at: parent) }
        let first = try pki.ensureDemo()
        let files = [first.caCertificate, first.caPrivateKey, first.serverCertificate, first.serverPrivateKey,
                     first.clientCertificate, first.clientPrivateKey]
        let contents = try files.map { try String(contentsOf: $0, encoding: .utf8) }
        let second = try pki.ensureDemo()
        #expect(second == first)
        #expect(try files.map { try String(contentsOf: $0, encoding: .utf8) } == contents)
        let verified = try PKITestSupport.openssl([
            "verify", "-CAfile", first.caCertificate.path, "-purpose", "sslclient", first.clientCertificate.path,
        ])
        #expect(verified.status == 0, "\(verified.output)")
    }
}
