import Foundation
import PullGuardOpenSSL
import PullGuardCore

/// A complete test PKI, generated fresh for each test run with the built-in issuer:
/// nothing in the repository can expire.
///
/// Good material (root, intermediate, server, clients) and every kind of bad client
/// certificate the verification tests need.
public struct TestPKI: Sendable {
    public let root: IssuedCertificate
    public let intermediate: IssuedCertificate
    /// Under `intermediate`, which has pathLength 0.
    public let secondIntermediate: IssuedCertificate
    public let server: IssuedCertificate
    public let serverRSA: IssuedCertificate
    public let otherSiteServer: IssuedCertificate
    /// Issued directly by `root`.
    public let client: IssuedCertificate
    /// Issued by `intermediate`.
    public let clientViaIntermediate: IssuedCertificate
    /// Issued by `secondIntermediate`: two intermediates deep.
    public let clientTwoDeep: IssuedCertificate
    public let expiredClient: IssuedCertificate
    public let notYetValidClient: IssuedCertificate
    public let selfSignedClient: IssuedCertificate
    public let serverAuthOnlyClient: IssuedCertificate
    public let revokedClient: IssuedCertificate
    public let otherCA: IssuedCertificate
    public let otherCAClient: IssuedCertificate
    /// RSA-1024 key: too weak whatever the system OpenSSL allows.
    public let weakKeyClient: IssuedCertificate
    /// An RSA-2048 client leaf under the root (Cloudflare-style RSA).
    public let clientRSA: IssuedCertificate
    /// Signed with SHA-1.
    public let sha1Client: IssuedCertificate
    /// CRL from `root` revoking `revokedClient`.
    public let crl: String

    public init() throws {
        let now = Date()
        let day: TimeInterval = 86_400
        root = try CertificateIssuer.issue(CertificateProfile(commonName: "PullGuard Test Root", organization: "PullGuard Tests", isCA: true), signedBy: nil)
        intermediate = try CertificateIssuer.issue(CertificateProfile(commonName: "PullGuard Test Intermediate", isCA: true), signedBy: root)
        secondIntermediate = try CertificateIssuer.issue(CertificateProfile(commonName: "PullGuard Test Second Intermediate", isCA: true, pathLength: 0), signedBy: intermediate)
        server = try CertificateIssuer.issue(CertificateProfile(commonName: "localhost", extendedKeyUsage: [.serverAuth], dnsNames: ["localhost", "a.test"]), signedBy: root)
        serverRSA = try CertificateIssuer.issue(CertificateProfile(commonName: "localhost", extendedKeyUsage: [.serverAuth], dnsNames: ["localhost", "a.test"], key: .rsa(bits: 2048)), signedBy: root)
        otherSiteServer = try CertificateIssuer.issue(CertificateProfile(commonName: "b.test", extendedKeyUsage: [.serverAuth], dnsNames: ["b.test"]), signedBy: root)
        let clientProfile = { (name: String) in
            CertificateProfile(commonName: name, organization: "PullGuard Tests", extendedKeyUsage: [.clientAuth],
                               dnsNames: ["\(name).clients.test"], uris: ["spiffe://test/\(name)"])
        }
        client = try CertificateIssuer.issue(clientProfile("client"), signedBy: root)
        clientViaIntermediate = try CertificateIssuer.issue(clientProfile("client-via-intermediate"), signedBy: intermediate)
        clientTwoDeep = try CertificateIssuer.issue(clientProfile("client-two-deep"), signedBy: secondIntermediate)
        var expired = clientProfile("expired")
        expired.notBefore = now - 30 * day
        expired.notAfter = now - day
        expiredClient = try CertificateIssuer.issue(expired, signedBy: root)
        var future = clientProfile("not-yet-valid")
        future.notBefore = now + day
        future.notAfter = now + 30 * day
        notYetValidClient = try CertificateIssuer.issue(future, signedBy: root)
        selfSignedClient = try CertificateIssuer.issue(clientProfile("self-signed"), signedBy: nil)
        var serverOnly = clientProfile("server-auth-only")
        serverOnly.extendedKeyUsage = [.serverAuth]
        serverAuthOnlyClient = try CertificateIssuer.issue(serverOnly, signedBy: root)
        revokedClient = try CertificateIssuer.issue(clientProfile("revoked"), signedBy: root)
        var weak = clientProfile("weak-key")
        weak.key = .rsa(bits: 1024)
        weakKeyClient = try CertificateIssuer.issue(weak, signedBy: root)
        var rsa = clientProfile("client-rsa")
        rsa.key = .rsa(bits: 2048)
        clientRSA = try CertificateIssuer.issue(rsa, signedBy: root)
        var sha1 = clientProfile("sha1-signed")
        sha1.digest = .sha1
        sha1Client = try CertificateIssuer.issue(sha1, signedBy: root)
        otherCA = try CertificateIssuer.issue(CertificateProfile(commonName: "Some Other CA", isCA: true), signedBy: nil)
        otherCAClient = try CertificateIssuer.issue(clientProfile("other-ca-client"), signedBy: otherCA)
        crl = try CertificateIssuer.makeCRL(issuer: root, revokedSerialHex: [revokedClient.serialHex],
                                           thisUpdate: now - 3600, nextUpdate: now + 7 * day)
    }

    /// A chain file's content: leaf first, then the given intermediates.
    public static func chain(_ leaf: IssuedCertificate, _ intermediates: IssuedCertificate...) -> String {
        ([leaf] + intermediates).map(\.certificatePEM).joined()
    }

    /// Writes every certificate and key into `directory` as `<name>.pem` / `<name>.key`
    /// (chains include their intermediates), plus `root.crl`; returns the directory.
    @discardableResult
    public func write(to directory: URL) throws -> URL {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let entries: [(String, String, String)] = [
            ("root", root.certificatePEM, root.privateKeyPEM),
            ("intermediate", intermediate.certificatePEM, intermediate.privateKeyPEM),
            ("server", Self.chain(server), server.privateKeyPEM),
            ("server-rsa", Self.chain(serverRSA), serverRSA.privateKeyPEM),
            ("server-b", Self.chain(otherSiteServer), otherSiteServer.privateKeyPEM),
            ("client", Self.chain(client), client.privateKeyPEM),
            ("client-via-intermediate", Self.chain(clientViaIntermediate, intermediate), clientViaIntermediate.privateKeyPEM),
            ("client-two-deep", Self.chain(clientTwoDeep, secondIntermediate, intermediate), clientTwoDeep.privateKeyPEM),
            ("expired", Self.chain(expiredClient), expiredClient.privateKeyPEM),
            ("not-yet-valid", Self.chain(notYetValidClient), notYetValidClient.privateKeyPEM),
            ("self-signed", Self.chain(selfSignedClient), selfSignedClient.privateKeyPEM),
            ("server-auth-only", Self.chain(serverAuthOnlyClient), serverAuthOnlyClient.privateKeyPEM),
            ("revoked", Self.chain(revokedClient), revokedClient.privateKeyPEM),
            ("weak-key", Self.chain(weakKeyClient), weakKeyClient.privateKeyPEM),
            ("client-rsa", Self.chain(clientRSA), clientRSA.privateKeyPEM),
            ("sha1-signed", Self.chain(sha1Client), sha1Client.privateKeyPEM),
            ("other-ca", otherCA.certificatePEM, otherCA.privateKeyPEM),
            ("other-ca-client", Self.chain(otherCAClient), otherCAClient.privateKeyPEM),
        ]
        for (name, pem, key) in entries {
            try Data(pem.utf8).write(to: directory.appendingPathComponent("\(name).pem"))
            try Data(key.utf8).write(to: directory.appendingPathComponent("\(name).key"))
        }
        try Data(crl.utf8).write(to: directory.appendingPathComponent("root.crl"))
        return directory
    }
}

extension PEMSource {
    public init(label: String, text: String) {
        self.init(origin: label, pem: Array(text.utf8))
    }
}

extension ServerIdentitySource {
    /// An identity whose chain is the leaf followed by `intermediates`.
    public init(_ leaf: IssuedCertificate, intermediates: [IssuedCertificate] = [], label: String) {
        self.init(
            certificateChain: PEMSource(label: "\(label).pem", text: ([leaf] + intermediates).map(\.certificatePEM).joined()),
            privateKey: PEMSource(label: "\(label).key", text: leaf.privateKeyPEM)
        )
    }
}
