import Foundation
import NIOHTTP1
import Testing
@testable import PullGuardHTTP
@testable import PullGuardCore
import PullGuardTestSupport

@Suite struct HTTPHeaderPolicyIdentityTests {
    func dictionary(_ pairs: [(String, String)]) -> [String: String] {
        Dictionary(pairs, uniquingKeysWith: { first, _ in first })
    }

    @Test func successCarriesLeafFacts() {
        let headers = dictionary(HeaderPolicy.identityHeaders(for: TestCertificates.success(), names: .init()))
        #expect(headers["X-Client-Verify"] == "SUCCESS")
        #expect(headers["X-Client-Cert-Subject"] == "CN=client,O=Example")
        #expect(headers["X-Client-Cert-Issuer"] == "CN=Test CA")
        #expect(headers["X-Client-Cert-Serial"] == "0A1B2C")
        #expect(headers["X-Client-Cert-Fingerprint"] == String(repeating: "ab", count: 32))
        #expect(headers["X-Client-Cert-Not-After"] == "Thu, 01 Nov 2029 17:00:00 GMT")
        #expect(headers["Client-Cert"] == nil)
    }

    @Test func noneHasOnlyTheVerdict() {
        let headers = HeaderPolicy.identityHeaders(for: .none, names: .init())
        #expect(headers.map(\.0) == ["X-Client-Verify"])
        #expect(headers.map(\.1) == ["NONE"])
    }

    @Test func failedCarriesReasonAndPresentedLeaf() {
        let failure = VerificationFailure(kind: .chain(code: 10), reason: "certificate has expired",
                                          errorName: "X509_V_ERR_CERT_HAS_EXPIRED", depth: 0,
                                          certificate: nil, presentedLeaf: TestCertificates.facts())
        let headers = dictionary(HeaderPolicy.identityHeaders(for: .failed(failure), names: .init()))
        #expect(headers["X-Client-Verify"] == "FAILED:certificate has expired")
        #expect(headers["X-Client-Cert-Subject"] == "CN=client,O=Example")
    }

    @Test func unsafeBytesArePercentEncoded() {
        #expect(HeaderPolicy.headerSafe("CN=Jürgen\r\nX-Evil: 1") == "CN=J%C3%BCrgen%0D%0AX-Evil: 1")
        #expect(HeaderPolicy.headerSafe("O=100%") == "O=100%25")
        let facts = TestCertificates.facts(subject: "CN=a\nb")
        let outcome = VerificationOutcome.success(PeerIdentity(chain: [facts], trustSource: "x"))
        for (_, value) in HeaderPolicy.identityHeaders(for: outcome, names: .init()) {
            #expect(!value.contains("\r") && !value.contains("\n"))
        }
    }

    @Test func rfc9440LeafAndChainWithoutLeaf() {
        var names = IdentityHeaderNames()
        names.rfc9440 = true
        let headers = dictionary(HeaderPolicy.identityHeaders(for: TestCertificates.success(), names: names))
        #expect(headers["Client-Cert"] == ":MIIBCg==:")
        #expect(headers["Client-Cert-Chain"] == ":AQID:")

        let chain = [TestCertificates.facts(), TestCertificates.facts(der: [1]), TestCertificates.facts(der: [2])]
        let three = dictionary(HeaderPolicy.identityHeaders(
            for: .success(PeerIdentity(chain: chain, trustSource: "x")), names: names))
        #expect(three["Client-Cert-Chain"] == ":AQ==:, :Ag==:")
    }

    @Test func rfc9440NothingWithoutCertificate() {
        var names = IdentityHeaderNames()
        names.rfc9440 = true
        let headers = HeaderPolicy.identityHeaders(for: .none, names: names)
        #expect(!headers.contains { $0.0 == "Client-Cert" || $0.0 == "Client-Cert-Chain" })
    }

    /// The hand-computed date agrees with Foundation's formatter across leap years,
    /// century rules and dates before 1970.
    @Test func imfFixdateMatchesFoundation() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        var seconds: Int64 = -2_208_988_800  // 1900-01-01
        while seconds < 4_102_444_800 {  // 2100-01-01
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            #expect(HeaderPolicy.imfFixdate(date) == formatter.string(from: date))
            seconds += 86_400 * 37 + 3_607
        }
        let leapDay = Date(timeIntervalSince1970: 951_782_400)  // 2000-02-29
        #expect(HeaderPolicy.imfFixdate(leapDay) == "Tue, 29 Feb 2000 00:00:00 GMT")
    }

    @Test func imfFixdatePadsDays() {
        // 2030-01-05T03:04:05Z
        #expect(HeaderPolicy.imfFixdate(Date(timeIntervalSince1970: 1_893_812_645)) == "Sat, 05 Jan 2030 03:04:05 GMT")
    }
}
