import Foundation
import Testing
@testable import PullGuard
import PullGuardTestSupport

/// Whole mTLS handshakes through `TLSServerHandler` in memory, one scenario each.
@Suite struct TLSServerHandlerTests {
    static let pki: TestPKI = try! TestPKI()
    var pki: TestPKI { Self.pki }

    func site(name: String = "a", names: [String] = ["localhost", "a.test"], policy: ClientAuthPolicy = ClientAuthPolicy(),
              crl: Bool = false, trust: [IssuedCertificate]? = nil, server: IssuedCertificate? = nil) -> TLSSiteSettings {
        let anchors = trust ?? [pki.root]
        return TLSSiteSettings(
            name: name, serverNames: names,
            identities: [ServerIdentitySource(server ?? pki.server, label: "\(name)-server")],
            trustSources: [TrustSource(name: "test-ca.pem", bundle: PEMSource(label: "test-ca.pem", text: anchors.map(\.certificatePEM).joined()))],
            crls: crl ? [PEMSource(label: "root.crl", text: pki.crl)] : [],
            clientAuth: policy
        )
    }

    func contexts(_ sites: [TLSSiteSettings], unknownSNI: TLSListenerSettings.UnknownSNI = .defaultSite) throws -> ServerContextSet {
        try ServerContextSet(settings: TLSListenerSettings(sites: sites, defaultSiteName: sites[0].name, unknownSNI: unknownSNI))
    }

    func client(_ cert: IssuedCertificate?, intermediates: [IssuedCertificate] = [], version: TLSClientSettings.Version = .tls13) -> TLSClientSettings {
        TLSClientSettings(identity: cert.map { ServerIdentitySource($0, intermediates: intermediates, label: "client") },
                          trustRoots: PEMSource(label: "root", text: pki.root.certificatePEM), version: version)
    }

    @Test func goodClientUnderRootIsAdmittedAndDataFlows() throws {
        let result = try InMemoryHandshake.run(contexts: contexts([site()]), client: client(pki.client))
        let established = try #require(result.established)
        #expect(established.verification.headerValue == "SUCCESS")
        #expect(established.verification.leaf?.commonNames == ["client"])
        #expect(established.protocolVersion == "TLSv1.3")
        #expect(established.alpn == "http/1.1")
        #expect(String(decoding: result.serverReceived, as: UTF8.self) == "GET / HTTP/1.1\r\n\r\n")
        #expect(result.metrics[.handshakeFull] == 1)
    }

    @Test func goodClientOverTLS12() throws {
        let result = try InMemoryHandshake.run(contexts: contexts([site()]), client: client(pki.client, version: .tls12))
        #expect(result.established?.protocolVersion == "TLSv1.2")
        #expect(result.established?.verification.headerValue == "SUCCESS")
    }

    @Test func clientUnderIntermediateWithinDepthOne() throws {
        let result = try InMemoryHandshake.run(contexts: contexts([site()]), client: client(pki.clientViaIntermediate, intermediates: [pki.intermediate]))
        #expect(result.established?.verification.headerValue == "SUCCESS")
    }

    @Test func intermediateBeyondDepthZeroIsRefused() throws {
        let result = try InMemoryHandshake.run(contexts: contexts([site(policy: ClientAuthPolicy(verifyDepth: 0))]),
                                               client: client(pki.clientViaIntermediate, intermediates: [pki.intermediate]))
        #expect(result.established == nil)
        #expect(result.clientAlert == "unknown_ca")
        #expect(result.serverReceived.isEmpty)
    }

    @Test func twoIntermediatesBeyondDepthOneAreRefused() throws {
        let result = try InMemoryHandshake.run(contexts: contexts([site()]),
                                               client: client(pki.clientTwoDeep, intermediates: [pki.secondIntermediate, pki.intermediate]))
        #expect(result.established == nil)
        #expect(result.clientAlert == "unknown_ca")
    }

    @Test func noCertificateGetsCertificateRequired() throws {
        let result = try InMemoryHandshake.run(contexts: contexts([site()]), client: client(nil))
        #expect(result.established == nil)
        #expect(result.clientAlert == "certificate_required")
        #expect(result.metrics[.refusedNoCertificate] == 1)
    }

    @Test func expiredCertificateGetsCertificateExpired() throws {
        let result = try InMemoryHandshake.run(contexts: contexts([site()]), client: client(pki.expiredClient))
        #expect(result.clientAlert == "certificate_expired")
        #expect(result.metrics[.refusedCertificate] == 1)
    }

    @Test func unknownCAGetsUnknownCA() throws {
        let result = try InMemoryHandshake.run(contexts: contexts([site()]), client: client(pki.otherCAClient))
        #expect(result.clientAlert == "unknown_ca")
    }

    @Test func serverAuthOnlyGetsUnsupportedCertificate() throws {
        let result = try InMemoryHandshake.run(contexts: contexts([site()]), client: client(pki.serverAuthOnlyClient))
        #expect(result.clientAlert == "unsupported_certificate")
    }

    @Test func revokedByCRLGetsCertificateRevoked() throws {
        let result = try InMemoryHandshake.run(contexts: contexts([site(crl: true)]), client: client(pki.revokedClient))
        #expect(result.clientAlert == "certificate_revoked")
    }

    @Test func unrevokedClientPassesWithCRL() throws {
        let result = try InMemoryHandshake.run(contexts: contexts([site(crl: true)]), client: client(pki.client))
        #expect(result.established?.verification.headerValue == "SUCCESS")
    }

    @Test func allowListMissIsRefusedInsideTheHandshake() throws {
        let policy = ClientAuthPolicy(allowList: AllowList(commonNames: ["somebody-else"]))
        let result = try InMemoryHandshake.run(contexts: contexts([site(policy: policy)]), client: client(pki.client))
        #expect(result.established == nil)
        #expect(result.clientAlert == "handshake_failure")
        #expect(result.serverReceived.isEmpty)
    }

    @Test func allowListHitBySPKIPinIsAdmitted() throws {
        let leaf = try #require(try InMemoryHandshake.run(contexts: contexts([site()]), client: client(pki.client)).established?.verification.leaf)
        let policy = ClientAuthPolicy(allowList: AllowList(spkiSHA256: [leaf.spkiSHA256.uppercased()]))
        let result = try InMemoryHandshake.run(contexts: contexts([site(policy: policy)]), client: client(pki.client))
        #expect(result.established?.verification.headerValue == "SUCCESS")
    }

    @Test func optionalModeForwardsAFailedVerdict() throws {
        let result = try InMemoryHandshake.run(contexts: contexts([site(policy: ClientAuthPolicy(mode: .optional))]),
                                               client: client(pki.expiredClient))
        let established = try #require(result.established)
        #expect(established.verification.headerValue == "FAILED:certificate has expired")
        #expect(!result.serverReceived.isEmpty)
    }

    @Test func optionalModeWithoutCertificateIsNone() throws {
        let result = try InMemoryHandshake.run(contexts: contexts([site(policy: ClientAuthPolicy(mode: .optional))]), client: client(nil))
        #expect(result.established?.verification.headerValue == "NONE")
    }

    @Test func sniSelectsTheSecondSiteAndItsPolicy() throws {
        let b = site(name: "b", names: ["b.test"], policy: ClientAuthPolicy(mode: .optional), server: pki.otherSiteServer)
        let result = try InMemoryHandshake.run(contexts: contexts([site(), b]), client: client(nil), serverName: "b.test")
        #expect(result.established?.siteName == "b")
        #expect(result.established?.serverName == "b.test")
        #expect(result.established?.verification.headerValue == "NONE")
    }

    @Test func unknownSNIRejectedWhenConfigured() throws {
        let result = try InMemoryHandshake.run(contexts: contexts([site()], unknownSNI: .reject), client: client(pki.client), serverName: "nowhere.test")
        #expect(result.established == nil)
        #expect(result.clientAlert == "unrecognized_name")
    }

    @Test func unknownSNIFallsBackToDefaultSite() throws {
        // The default site's certificate does not name nowhere.test, so the client skips server verification.
        var settings = client(pki.client)
        settings.verifyServer = false
        let result = try InMemoryHandshake.run(contexts: contexts([site()]), client: settings, serverName: "nowhere.test")
        #expect(result.established?.siteName == "a")
    }
}
