import Testing
import PullGuardTestSupport
@testable import PullGuardOpenSSL
@testable import PullGuardCore

/// `BuiltInKeyEngine`: EC and RSA keys decoded directly (no per-certificate
/// OSSL_DECODER set-up), and every key operation still working on that path.
@Suite struct BuiltInKeyEngineTests {
    static let pki: TestPKI = try! TestPKI()
    var pki: TestPKI { Self.pki }
    /// An RSA-4096 root with an RSA-2048 client leaf, the shape of Cloudflare's origin-pull PKI.
    static let rsaRoot = try! CertificateIssuer.issue(CertificateProfile(commonName: "RSA Root", isCA: true, key: .rsa(bits: 4096)), signedBy: nil)
    static let rsaClient = try! CertificateIssuer.issue(
        CertificateProfile(commonName: "rsa-client", extendedKeyUsage: [.clientAuth], key: .rsa(bits: 2048)), signedBy: rsaRoot)

    func site(server: IssuedCertificate? = nil, trust: IssuedCertificate? = nil) -> Site {
        Site.tlsOnly(name: "a", serverNames: ["localhost"], TLSSiteSettings(
            identities: [ServerIdentitySource(server ?? pki.server, label: "server")],
            trustSources: [TrustSource(name: "test-ca.pem", bundle: PEMSource(label: "test-ca.pem", text: (trust ?? pki.root).certificatePEM))]))
    }

    func contexts(_ site: Site) throws -> ServerContextSet {
        try ServerContextSet(sites: SiteTable([site]))
    }

    func client(_ cert: IssuedCertificate, version: TLSClientSettings.Version, groups: String? = nil) -> TLSClientSettings {
        TLSClientSettings(identity: ServerIdentitySource(cert, label: "client"),
                          trustRoots: PEMSource(label: "root", text: pki.root.certificatePEM), version: version, groups: groups)
    }

    @Test func isRegisteredOnceOpenSSLIsUsed() throws {
        _ = try X509Certificate.loadAll(pem: Array(pki.client.certificatePEM.utf8), origin: "client.pem")
        #expect(BuiltInKeyEngine.isRegistered)
    }

    @Test func ecCertificateKeysAreDecodedDirectly() throws {
        let certificate = try X509Certificate.loadAll(pem: Array(pki.client.certificatePEM.utf8), origin: "client.pem")[0]
        #expect(certificate.facts.publicKey.algorithm == .ec)
        #expect(certificate.publicKeyIsInLegacyForm)
    }

    @Test func rsaCertificateKeysAreDecodedDirectly() throws {
        let certificate = try X509Certificate.loadAll(pem: Array(Self.rsaClient.certificatePEM.utf8), origin: "rsa.pem")[0]
        #expect(certificate.facts.publicKey == PublicKeyFacts(algorithm: .rsa, bits: 2048))
        #expect(certificate.publicKeyIsInLegacyForm)
    }

    @Test func privateKeysFromPEMAreConvertedToTheSamePath() throws {
        #expect(try PrivateKey.load(pem: Array(pki.client.privateKeyPEM.utf8), origin: "client.key").isInLegacyForm)
        #expect(try PrivateKey.load(pem: Array(Self.rsaClient.privateKeyPEM.utf8), origin: "rsa.key").isInLegacyForm)
    }

    /// P-256 key exchange generates an EC key per handshake, on the legacy path too.
    @Test(arguments: [TLSClientSettings.Version.tls12, .tls13])
    func p256KeyExchangeCompletesAndVerifies(version: TLSClientSettings.Version) throws {
        let result = try InMemoryHandshake.run(contexts: contexts(site()), client: client(pki.client, version: version, groups: "P-256"))
        #expect(result.established?.verification.headerValue == "SUCCESS")
        #expect(result.established?.verification.leaf?.commonNames == ["client"])
    }

    /// An RSA client proves its key with RSA-PSS (TLS 1.3) or PKCS#1/PSS (TLS 1.2).
    @Test(arguments: [TLSClientSettings.Version.tls12, .tls13])
    func rsaClientUnderRSARootIsAdmitted(version: TLSClientSettings.Version) throws {
        let result = try InMemoryHandshake.run(contexts: contexts(site(trust: Self.rsaRoot)), client: client(Self.rsaClient, version: version))
        #expect(result.established?.verification.headerValue == "SUCCESS")
        #expect(result.established?.verification.leaf?.commonNames == ["rsa-client"])
    }

    /// The server signs with its RSA key (RSA-PSS in TLS 1.3).
    @Test func rsaServerKeySignsATLS13Handshake() throws {
        let result = try InMemoryHandshake.run(contexts: contexts(site(server: pki.serverRSA)), client: client(pki.client, version: .tls13))
        #expect(result.established?.protocolVersion == "TLSv1.3")
        #expect(result.established?.verification.headerValue == "SUCCESS")
    }

    /// Certificates signed by CAs whose keys were read back from PEM (as
    /// `pullguard pki issue-client` does), EC and RSA, verify in a handshake.
    @Test func certificatesSignedWithPEMLoadedKeysVerify() throws {
        let fromEC = try CertificateIssuer.issue(CertificateProfile(commonName: "fresh-ec", extendedKeyUsage: [.clientAuth]), signedBy: pki.root)
        let ec = try InMemoryHandshake.run(contexts: contexts(site()), client: client(fromEC, version: .tls13))
        #expect(ec.established?.verification.leaf?.commonNames == ["fresh-ec"])
        let fromRSA = try CertificateIssuer.issue(CertificateProfile(commonName: "fresh-rsa", extendedKeyUsage: [.clientAuth]), signedBy: Self.rsaRoot)
        let rsa = try InMemoryHandshake.run(contexts: contexts(site(trust: Self.rsaRoot)), client: client(fromRSA, version: .tls13))
        #expect(rsa.established?.verification.leaf?.commonNames == ["fresh-rsa"])
    }
}
