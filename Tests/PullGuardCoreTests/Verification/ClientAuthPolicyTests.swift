import Foundation
import Testing
@testable import PullGuardCore

/// The policy half of verification on hand-made facts: no certificates needed.
@Suite struct ClientAuthPolicyTests {
    func facts(cn: String = "client", eku: [ExtendedKeyUsage]? = [.clientAuth], key: PublicKeyFacts = PublicKeyFacts(algorithm: .ec, bits: 256),
               digest: SignatureDigest = .sha256, selfIssued: Bool = false) -> CertificateFacts {
        CertificateFacts(
            subject: "CN=\(cn),O=Example", issuer: "CN=Root", commonNames: [cn], serialHex: "01",
            sha256Fingerprint: String(repeating: "ab", count: 32), spkiSHA256: String(repeating: "cd", count: 32),
            dnsNames: ["\(cn).example.com"], uris: ["spiffe://example/\(cn)"], notBefore: Date(), notAfter: Date(),
            extendedKeyUsage: eku, publicKey: key, signatureDigest: digest, isSelfIssued: selfIssued, der: [])
    }

    var root: CertificateFacts { facts(cn: "Root", eku: nil, selfIssued: true) }

    @Test func clientAuthOrNoEKUIsAdmitted() {
        #expect(ClientAuthPolicy().evaluate(chain: [facts(), root]) == .admit)
        #expect(ClientAuthPolicy().evaluate(chain: [facts(eku: nil), root]) == .admit)
        #expect(ClientAuthPolicy().evaluate(chain: [facts(eku: [.anyExtendedKeyUsage]), root]) == .admit)
    }

    @Test func serverAuthOnlyIsRefused() {
        #expect(ClientAuthPolicy().evaluate(chain: [facts(eku: [.serverAuth]), root]) == .refuse(.missingClientAuthUsage))
    }

    @Test func shortRSAKeyAnywhereIsRefused() {
        let weakLeaf = facts(key: PublicKeyFacts(algorithm: .rsa, bits: 1024))
        #expect(ClientAuthPolicy().evaluate(chain: [weakLeaf, root]) == .refuse(.weakKey(bits: 1024, depth: 0)))
        var weakRoot = root
        weakRoot.publicKey = PublicKeyFacts(algorithm: .rsa, bits: 1024)
        #expect(ClientAuthPolicy().evaluate(chain: [facts(), weakRoot]) == .refuse(.weakKey(bits: 1024, depth: 1)))
    }

    @Test func sha1OrMD5SignatureBelowTheAnchorIsRefused() {
        #expect(ClientAuthPolicy().evaluate(chain: [facts(digest: .sha1), root]) == .refuse(.weakSignature(.sha1, depth: 0)))
        #expect(ClientAuthPolicy().evaluate(chain: [facts(digest: .md5), root]) == .refuse(.weakSignature(.md5, depth: 0)))
        var sha1Root = root
        sha1Root.signatureDigest = .sha1
        #expect(ClientAuthPolicy().evaluate(chain: [facts(), sha1Root]) == .admit)
    }

    @Test func allowListAnyOneEntryAdmits() {
        let leaf = facts()
        let cases: [AllowList] = [
            AllowList(subjects: ["cn=client, o=example"]),
            AllowList(commonNames: ["client"]),
            AllowList(dnsNames: ["CLIENT.example.com"]),
            AllowList(uris: ["spiffe://example/client"]),
            AllowList(fingerprints: [String(repeating: "AB:", count: 31) + "AB"]),
            AllowList(spkiSHA256: [String(repeating: "cd", count: 32)]),
        ]
        for list in cases {
            #expect(ClientAuthPolicy(allowList: list).evaluate(chain: [leaf, root]) == .admit, "\(list)")
        }
    }

    @Test func allowListMissIsRefused() {
        let list = AllowList(commonNames: ["someone-else"], fingerprints: [String(repeating: "00", count: 32)])
        #expect(ClientAuthPolicy(allowList: list).evaluate(chain: [facts(), root]) == .refuse(.notAllowListed))
    }

    @Test func headerValuesMatchNginx() {
        let failure = VerificationFailure(kind: .policy(.notAllowListed), reason: "certificate is not on the site's allow-list",
                                          errorName: "policy:allow_list", depth: 0, certificate: nil, presentedLeaf: nil)
        #expect(VerificationOutcome.failed(failure).headerValue == "FAILED:certificate is not on the site's allow-list")
        #expect(VerificationOutcome.none.headerValue == "NONE")
        #expect(VerificationOutcome.success(PeerIdentity(chain: [facts()], trustSource: "cloudflare")).headerValue == "SUCCESS")
    }
}
