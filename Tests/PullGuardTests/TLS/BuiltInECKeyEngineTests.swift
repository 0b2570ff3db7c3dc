import Testing
@testable import PullGuard
import PullGuardTestSupport

/// `BuiltInECKeyEngine`: EC keys decoded directly (no per-certificate OSSL_DECODER
/// set-up), every EC operation still working on that path, RSA left on the provider path.
@Suite struct BuiltInECKeyEngineTests {
    static let pki: TestPKI = try! TestPKI()
    var pki: TestPKI { Self.pki }

    func site() -> TLSSiteSettings {
        TLSSiteSettings(
            name: "a", serverNames: ["localhost"],
            identities: [ServerIdentitySource(pki.server, label: "server")],
            trustSources: [TrustSource(name: "test-ca.pem", bundle: PEMSource(label: "test-ca.pem", text: pki.root.certificatePEM))])
    }

    func client(version: TLSClientSettings.Version, groups: String? = nil) -> TLSClientSettings {
        TLSClientSettings(identity: ServerIdentitySource(pki.client, label: "client"),
                          trustRoots: PEMSource(label: "root", text: pki.root.certificatePEM), version: version, groups: groups)
    }

    @Test func isRegisteredOnceOpenSSLIsUsed() throws {
        _ = try X509Certificate.loadAll(pem: Array(pki.client.certificatePEM.utf8), origin: "client.pem")
        #expect(BuiltInECKeyEngine.isRegistered)
    }

    @Test func ecCertificateKeysAreDecodedDirectly() throws {
        let certificate = try X509Certificate.loadAll(pem: Array(pki.client.certificatePEM.utf8), origin: "client.pem")[0]
        #expect(certificate.facts.publicKey.algorithm == .ec)
        #expect(certificate.publicKeyIsInLegacyForm)
    }

    @Test func rsaCertificateKeysKeepTheProviderPath() throws {
        let certificate = try X509Certificate.loadAll(pem: Array(pki.serverRSA.certificatePEM.utf8), origin: "rsa.pem")[0]
        #expect(certificate.facts.publicKey.algorithm == .rsa)
        #expect(!certificate.publicKeyIsInLegacyForm)
    }

    @Test func ecPrivateKeysFromPEMAreConvertedToTheSamePath() throws {
        let key = try PrivateKey.load(pem: Array(pki.client.privateKeyPEM.utf8), origin: "client.key")
        #expect(key.isInLegacyForm)
    }

    /// P-256 key exchange generates an EC key per handshake, on the legacy path too.
    @Test(arguments: [TLSClientSettings.Version.tls12, .tls13])
    func p256KeyExchangeCompletesAndVerifies(version: TLSClientSettings.Version) throws {
        let contexts = try ServerContextSet(settings: TLSListenerSettings(sites: [site()], defaultSiteName: "a"))
        let result = try InMemoryHandshake.run(contexts: contexts, client: client(version: version, groups: "P-256"))
        #expect(result.established?.verification.headerValue == "SUCCESS")
        #expect(result.established?.verification.leaf?.commonNames == ["client"])
    }

    /// A certificate signed by a CA whose key was read back from PEM (as
    /// `pullguard pki issue-client` does) verifies in a handshake.
    @Test func certificateSignedWithAPEMLoadedECKeyVerifies() throws {
        let issued = try CertificateIssuer.issue(
            CertificateProfile(commonName: "fresh-client", extendedKeyUsage: [.clientAuth]), signedBy: pki.root)
        let contexts = try ServerContextSet(settings: TLSListenerSettings(sites: [site()], defaultSiteName: "a"))
        let settings = TLSClientSettings(identity: ServerIdentitySource(issued, label: "fresh"),
                                         trustRoots: PEMSource(label: "root", text: pki.root.certificatePEM), version: .tls13)
        let result = try InMemoryHandshake.run(contexts: contexts, client: settings)
        #expect(result.established?.verification.leaf?.commonNames == ["fresh-client"])
    }
}
