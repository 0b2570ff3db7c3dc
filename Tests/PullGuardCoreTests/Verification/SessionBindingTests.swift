import Foundation
import Testing
@testable import PullGuardCore
import PullGuardTestSupport

/// When a stored session may stand in for a full verification: values only, dates chosen.
@Suite struct SessionBindingTests {
    let verifiedAt = Date(timeIntervalSince1970: 1_800_000_000)
    let digest: [UInt8] = [1, 2, 3]

    func binding(notAfter: Date? = nil, crlNextUpdate: Date? = nil, outcome: VerificationOutcome? = nil,
                 lifetime: TimeInterval = 300) -> SessionBinding {
        let leaf = TestCertificates.facts(notAfter: notAfter ?? verifiedAt.addingTimeInterval(86_400))
        return SessionBinding(
            siteName: "a", clientAuthDigest: digest,
            outcome: outcome ?? .success(PeerIdentity(chain: [leaf], trustSource: "ca.pem")),
            verifiedAt: verifiedAt, crlNextUpdate: crlNextUpdate, lifetime: lifetime)
    }

    @Test func admitsOnItsOwnSiteWithinEveryBound() {
        #expect(binding().refusal(siteName: "a", clientAuthDigest: digest, now: verifiedAt.addingTimeInterval(60)) == nil)
    }

    @Test func neverAdmitsOnAnotherSite() {
        #expect(binding().refusal(siteName: "b", clientAuthDigest: digest, now: verifiedAt) == .otherSite)
    }

    @Test func changedClientAuthSettingsRefuse() {
        #expect(binding().refusal(siteName: "a", clientAuthDigest: [9], now: verifiedAt) == .clientAuthChanged)
    }

    @Test func lifetimeIsCountedFromTheFullHandshake() {
        let session = binding(lifetime: 300)
        #expect(session.refusal(siteName: "a", clientAuthDigest: digest, now: verifiedAt.addingTimeInterval(299)) == nil)
        #expect(session.refusal(siteName: "a", clientAuthDigest: digest, now: verifiedAt.addingTimeInterval(300)) == .lifetimeExceeded)
    }

    @Test func aCertificatePastNotAfterRefusesEvenWithinTheLifetime() {
        let session = binding(notAfter: verifiedAt.addingTimeInterval(20))
        #expect(session.refusal(siteName: "a", clientAuthDigest: digest, now: verifiedAt.addingTimeInterval(19)) == nil)
        #expect(session.refusal(siteName: "a", clientAuthDigest: digest, now: verifiedAt.addingTimeInterval(21)) == .verificationExpired)
        #expect(session.isExpired(now: verifiedAt.addingTimeInterval(21)))
    }

    @Test func aCRLPastNextUpdateRefuses() {
        let session = binding(crlNextUpdate: verifiedAt.addingTimeInterval(30))
        #expect(session.refusal(siteName: "a", clientAuthDigest: digest, now: verifiedAt.addingTimeInterval(31)) == .verificationExpired)
    }

    @Test func aSessionWithoutCertificateIsBoundByItsLifetimeOnly() {
        let session = binding(crlNextUpdate: verifiedAt.addingTimeInterval(1), outcome: VerificationOutcome.none)
        #expect(session.refusal(siteName: "a", clientAuthDigest: digest, now: verifiedAt.addingTimeInterval(60)) == nil)
        #expect(session.refusal(siteName: "a", clientAuthDigest: digest, now: verifiedAt.addingTimeInterval(301)) == .lifetimeExceeded)
    }
}
