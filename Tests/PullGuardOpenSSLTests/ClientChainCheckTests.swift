import Foundation
import Testing
import PullGuardTestSupport
@testable import PullGuardCore
@testable import PullGuardOpenSSL

/// `pullguard verify`'s core, `ServerContextSet.checkClientChain`, over the verification
/// matrix of TLSServerHandlerTests. Each case also runs a real handshake in memory with the
/// same chain and key, and checks the offline answer against it: the same alert, the same
/// `X-Client-Verify` value, the same anchor. So the offline path cannot drift from the live one.
@Suite struct ClientChainCheckTests {
    static let pki: TestPKI = try! TestPKI()
    var pki: TestPKI { Self.pki }

    /// An expired CA standing in for Cloudflare's historical origin-pull CA (the one before
    /// the 2019 CA, which PullGuard deliberately does not accept), and a client under it.
    static let historical: (ca: IssuedCertificate, client: IssuedCertificate) = {
        let now = Date()
        var ca = CertificateProfile(commonName: "origin-pull.cloudflare.net", organization: "CloudFlare, Inc.", isCA: true)
        ca.notBefore = now - 10 * 365 * 86_400
        ca.notAfter = now - 400 * 86_400
        let issuedCA = try! CertificateIssuer.issue(ca, signedBy: nil)
        let client = try! CertificateIssuer.issue(
            CertificateProfile(commonName: "Cloudflare", extendedKeyUsage: [.clientAuth]), signedBy: issuedCA)
        return (issuedCA, client)
    }()

    static var cloudflareSource: TrustSource {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("certs/\(CloudflareOriginPull.caFileName)")
        let pem = (try? Data(contentsOf: file)).map { Array($0) } ?? []
        return TrustSource(name: TrustSourceName.cloudflare, bundle: PEMSource(origin: file.path, pem: pem),
                           pinnedSHA256: CloudflareOriginPull.caSHA256)
    }

    func site(name: String = "a", names: [String] = ["localhost"], policy: ClientAuthPolicy = ClientAuthPolicy(),
              crl: Bool = false, trust: [TrustSource]? = nil) -> Site {
        let bundle = TrustSource(name: "test-ca.pem", bundle: PEMSource(label: "test-ca.pem", text: pki.root.certificatePEM))
        return Site.tlsOnly(name: name, serverNames: names, TLSSiteSettings(
            identities: [ServerIdentitySource(pki.server, label: "\(name)-server")],
            trustSources: trust ?? [bundle],
            crls: crl ? [PEMSource(label: "root.crl", text: pki.crl)] : [],
            clientAuth: policy))
    }

    /// The offline answer for `leaf` + `intermediates`, after checking it against a live handshake.
    func check(_ site: Site, _ leaf: IssuedCertificate, _ intermediates: [IssuedCertificate] = [],
               sourceLocation: SourceLocation = #_sourceLocation) throws -> ClientChainCheck {
        let contexts = try ServerContextSet(sites: SiteTable([site]))
        let pem = Array(([leaf] + intermediates).map(\.certificatePEM).joined().utf8)
        let offline = try contexts.checkClientChain(pem: pem, origin: "chain.pem", site: .serverName("localhost"))
        // A fresh context set for the handshake, so no verdict cached by the offline check helps it.
        let live = try InMemoryHandshake.run(
            contexts: ServerContextSet(sites: SiteTable([site])),
            client: TLSClientSettings(identity: ServerIdentitySource(leaf, intermediates: intermediates, label: "client"),
                                      trustRoots: PEMSource(label: "root", text: pki.root.certificatePEM)))
        #expect(offline.alert?.name == live.clientAlert, "offline and live alerts differ", sourceLocation: sourceLocation)
        #expect(offline.outcome?.headerValue == (live.established?.verification.headerValue ?? offline.outcome?.headerValue),
                sourceLocation: sourceLocation)
        if case .success(let identity) = live.established?.verification {
            #expect(offline.trustSource == identity.trustSource, sourceLocation: sourceLocation)
            #expect(offline.builtChain.map(\.sha256Fingerprint) == identity.chain.map(\.sha256Fingerprint),
                    sourceLocation: sourceLocation)
        }
        return offline
    }

    @Test func goodChainIsAdmittedWithItsAnchorAndDepth() throws {
        let result = try check(site(), pki.client)
        #expect(result.verdict == .admitted)
        #expect(result.alert == nil)
        #expect(result.trustSource == "test-ca.pem")
        #expect(result.builtChain.map(\.commonNames) == [["client"], ["PullGuard Test Root"]])
        #expect(result.crl == .notConfigured)
        #expect(!result.hasAllowList)
    }

    @Test func chainThroughAnIntermediateIsBuiltToTheRoot() throws {
        let result = try check(site(), pki.clientViaIntermediate, [pki.intermediate])
        #expect(result.verdict == .admitted)
        #expect(result.builtChain.count == 3)
    }

    @Test func expiredLeafIsRefusedWithCertificateExpired() throws {
        let result = try check(site(), pki.expiredClient)
        #expect(result.verdict == .refused)
        #expect(result.alert == .certificateExpired)
        #expect(result.reason.contains("certificate has expired"))
        #expect(result.reason.contains("X509_V_ERR_CERT_HAS_EXPIRED at depth 0"))
    }

    @Test func wrongCAIsRefusedWithUnknownCA() throws {
        let result = try check(site(), pki.otherCAClient)
        #expect(result.verdict == .refused)
        #expect(result.alert == .unknownCA)
        #expect(result.reason.contains("X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY"))
    }

    @Test func chainDeeperThanVerifyDepthIsRefused() throws {
        let result = try check(site(), pki.clientTwoDeep, [pki.secondIntermediate, pki.intermediate])
        #expect(result.verdict == .refused)
        #expect(result.alert == .unknownCA)
        #expect(result.reason.contains("X509_V_ERR_CERT_CHAIN_TOO_LONG"))
    }

    @Test func revokedByCRLIsRefusedAndTheCRLNamed() throws {
        let result = try check(site(crl: true), pki.revokedClient)
        #expect(result.verdict == .refused)
        #expect(result.alert == .certificateRevoked)
        #expect(result.crl == .failed("certificate revoked"))
    }

    @Test func unrevokedChainPassesTheCRL() throws {
        let result = try check(site(crl: true), pki.client)
        #expect(result.verdict == .admitted)
        #expect(result.crl == .passed(["root.crl"]))
    }

    @Test func chainNotOnTheAllowListIsRefusedWithHandshakeFailure() throws {
        let result = try check(site(policy: ClientAuthPolicy(allowList: AllowList(commonNames: ["somebody-else"]))), pki.client)
        #expect(result.verdict == .refused)
        #expect(result.alert == .handshakeFailure)
        #expect(result.reason.contains("policy:allow_list"))
        #expect(result.hasAllowList)
        #expect(result.allowListMatch == nil)
    }

    @Test func allowListEntryThatAdmittedIsNamed() throws {
        let policy = ClientAuthPolicy(allowList: AllowList(commonNames: ["somebody-else"], uris: ["spiffe://test/client"]))
        let result = try check(site(policy: policy), pki.client)
        #expect(result.verdict == .admitted)
        #expect(result.allowListMatch == "uris: spiffe://test/client")
    }

    @Test func serverAuthOnlyLeafIsRefusedWithUnsupportedCertificate() throws {
        let result = try check(site(), pki.serverAuthOnlyClient)
        #expect(result.alert == .unsupportedCertificate)
    }

    @Test func historicalCloudflareClientIsRefusedByTheCloudflareKeyword() throws {
        let result = try check(site(trust: [Self.cloudflareSource]), Self.historical.client)
        #expect(result.verdict == .refused)
        #expect(result.alert == .unknownCA)
    }

    @Test func trustingTheHistoricalCloudflareCAItselfFailsOnItsExpiry() throws {
        let bundle = TrustSource(name: "origin-pull-ca.pem", bundle: PEMSource(label: "origin-pull-ca.pem",
                                                                              text: Self.historical.ca.certificatePEM))
        let result = try check(site(policy: ClientAuthPolicy(verifyDepth: 0), trust: [bundle]), Self.historical.client)
        #expect(result.verdict == .refused)
        #expect(result.alert == .certificateExpired)
        #expect(result.reason.contains("at depth 1"))
    }

    @Test func optionalModeForwardsAFailedChainUnverified() throws {
        let result = try check(site(policy: ClientAuthPolicy(mode: .optional)), pki.expiredClient)
        #expect(result.verdict == .forwardedUnverified)
        #expect(result.alert == nil)
        #expect(result.outcome?.headerValue == "FAILED:certificate has expired")
    }

    @Test func sniChoosesTheSiteAsTheHandshakeDoes() throws {
        let strict = site(name: "b", names: ["b.test"], policy: ClientAuthPolicy(allowList: AllowList(commonNames: ["x"])))
        let contexts = try ServerContextSet(sites: SiteTable([site(), strict]))
        let pem = Array(pki.client.certificatePEM.utf8)
        #expect(try contexts.checkClientChain(pem: pem, origin: "c", site: .serverName("B.TEST")).siteName == "b")
        #expect(try contexts.checkClientChain(pem: pem, origin: "c", site: .serverName("nowhere.test")).siteName == "a")
        #expect(try contexts.checkClientChain(pem: pem, origin: "c", site: .named("b")).verdict == .refused)
        #expect(throws: ServerContextSet.ClientChainCheckError.self) {
            try contexts.checkClientChain(pem: pem, origin: "c", site: .named("nope"))
        }
    }

    @Test func unknownSNIWithRejectIsRefusedWithUnrecognizedName() throws {
        let contexts = try ServerContextSet(sites: SiteTable([site()]), settings: TLSListenerSettings(unknownSNI: .reject))
        let result = try contexts.checkClientChain(pem: Array(pki.client.certificatePEM.utf8), origin: "c",
                                                   site: .serverName("nowhere.test"))
        #expect(result.verdict == .refused)
        #expect(result.alert == .unrecognizedName)
        #expect(result.siteName == nil)
    }
}
