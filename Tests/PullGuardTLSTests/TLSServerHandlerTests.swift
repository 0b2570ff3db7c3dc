import Foundation
import Testing
import PullGuardTestSupport
@testable import PullGuardOpenSSL
@testable import PullGuardCore

/// Whole mTLS handshakes through `TLSServerHandler` in memory, one scenario each.
@Suite struct TLSServerHandlerTests {
    static let pki: TestPKI = try! TestPKI()
    var pki: TestPKI { Self.pki }

    func site(name: String = "a", names: [String] = ["localhost", "a.test"], policy: ClientAuthPolicy = ClientAuthPolicy(),
              crl: Bool = false, trust: [IssuedCertificate]? = nil, server: IssuedCertificate? = nil) -> Site {
        let anchors = trust ?? [pki.root]
        return Site.tlsOnly(name: name, serverNames: names, TLSSiteSettings(
            identities: [ServerIdentitySource(server ?? pki.server, label: "\(name)-server")],
            trustSources: [TrustSource(name: "test-ca.pem", bundle: PEMSource(label: "test-ca.pem", text: anchors.map(\.certificatePEM).joined()))],
            crls: crl ? [PEMSource(label: "root.crl", text: pki.crl)] : [],
            clientAuth: policy
        ))
    }

    func contexts(_ sites: [Site], unknownSNI: TLSListenerSettings.UnknownSNI = .defaultSite) throws -> ServerContextSet {
        try ServerContextSet(sites: SiteTable(sites), settings: TLSListenerSettings(unknownSNI: unknownSNI))
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
        #expect(result.established?.site == SiteID(index: 1))
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
        #expect(result.established?.site == SiteID(index: 0))
    }

    @Test func trustedIntermediateIsAnAnchorOnlyWithPartialChain() throws {
        let strict = site(trust: [pki.intermediate])
        let refused = try InMemoryHandshake.run(contexts: contexts([strict]), client: client(pki.clientViaIntermediate))
        #expect(refused.clientAlert == "unknown_ca")
        let partial = site(policy: ClientAuthPolicy(partialChain: true), trust: [pki.intermediate])
        let admitted = try InMemoryHandshake.run(contexts: contexts([partial]), client: client(pki.clientViaIntermediate))
        #expect(admitted.established?.verification.headerValue == "SUCCESS")
    }

    @Test func weakRSAKeyIsRefused() throws {
        var weak = client(pki.weakKeyClient, version: .tls12)
        weak.securityLevel = 0
        let result = try InMemoryHandshake.run(contexts: contexts([site()]), client: weak)
        #expect(result.established == nil)
        #expect(result.clientAlert == "bad_certificate")
    }

    @Test func sha1SignedClientIsRefused() throws {
        var sha1 = client(pki.sha1Client)
        sha1.securityLevel = 0
        let result = try InMemoryHandshake.run(contexts: contexts([site()]), client: sha1)
        #expect(result.established == nil)
        #expect(result.clientAlert == "bad_certificate")
    }

    @Test func rsaAndECDSACertificatesSideBySide() throws {
        var both = site()
        both.tls.identities = [ServerIdentitySource(pki.server, label: "ecdsa"), ServerIdentitySource(pki.serverRSA, label: "rsa")]
        let set = try contexts([both])
        var rsaOnly = client(pki.client, version: .tls12)
        rsaOnly.cipherList = "ECDHE-RSA-AES128-GCM-SHA256"
        let rsa = try InMemoryHandshake.run(contexts: set, client: rsaOnly)
        #expect(rsa.established?.cipher == "ECDHE-RSA-AES128-GCM-SHA256")
        var ecdsaOnly = client(pki.client, version: .tls12)
        ecdsaOnly.cipherList = "ECDHE-ECDSA-AES128-GCM-SHA256"
        let ecdsa = try InMemoryHandshake.run(contexts: set, client: ecdsaOnly)
        #expect(ecdsa.established?.cipher == "ECDHE-ECDSA-AES128-GCM-SHA256")
    }

    @Test func twoCertificatesOfTheSameKeyTypeAreAStartupError() throws {
        var twice = site()
        twice.tls.identities = [ServerIdentitySource(pki.server, label: "one"), ServerIdentitySource(pki.otherSiteServer, label: "two")]
        #expect(throws: ServerIdentityError.self) { try contexts([twice]) }
    }

    @Test(arguments: [TLSClientSettings.Version.tls12, .tls13])
    func resumedSessionKeepsTheVerifiedIdentity(version: TLSClientSettings.Version) throws {
        let set = try contexts([site()])
        let clientContext = try OpenSSLClientContext(settings: client(pki.clientViaIntermediate, intermediates: [pki.intermediate], version: version))
        let first = try InMemoryHandshake.run(contexts: set, clientContext: clientContext)
        #expect(first.established?.resumed == false)
        let session = try #require(first.session)
        // Not in the verdict cache any more: the identity comes from the session's binding.
        set.defaultContext.verifier.removeAllCachedVerdicts()
        let second = try InMemoryHandshake.run(contexts: set, clientContext: clientContext, session: session)
        #expect(second.established?.resumed == true)
        // The verified chain, trust anchor included, exactly as on the full handshake.
        #expect(second.established?.verification == first.established?.verification)
        if case .success(let identity)? = second.established?.verification {
            #expect(identity.trustSource == "test-ca.pem")
            #expect(identity.chain.map(\.commonNames) == [["client-via-intermediate"], ["PullGuard Test Intermediate"], ["PullGuard Test Root"]])
        } else {
            Issue.record("resumed connection lost its identity")
        }
    }

    @Test func repeatedChainIsServedFromTheVerdictCache() throws {
        let set = try contexts([site()])
        let first = try InMemoryHandshake.run(contexts: set, client: client(pki.client))
        #expect(set.defaultContext.verifier.cachedVerdicts == 1)
        let second = try InMemoryHandshake.run(contexts: set, client: client(pki.client))
        #expect(second.established?.resumed == false)
        #expect(second.established?.verification == first.established?.verification)
        #expect(set.defaultContext.verifier.cachedVerdicts == 1)
    }

    @Test func refusedChainsAreNeverCached() throws {
        let set = try contexts([site(crl: true)])
        _ = try InMemoryHandshake.run(contexts: set, client: client(pki.revokedClient))
        #expect(set.defaultContext.verifier.cachedVerdicts == 0)
        #expect(try InMemoryHandshake.run(contexts: set, client: client(pki.revokedClient)).clientAlert == "certificate_revoked")
    }

    @Test func sameLeafWithAnotherChainIsAnotherEntry() throws {
        let set = try contexts([site()])
        _ = try InMemoryHandshake.run(contexts: set, client: client(pki.clientViaIntermediate, intermediates: [pki.intermediate]))
        _ = try InMemoryHandshake.run(contexts: set, client: client(pki.client))
        #expect(set.defaultContext.verifier.cachedVerdicts == 2)
    }
}
