import Foundation
import Testing
@testable import PullGuardCore
@testable import PullGuardOpenSSL

/// `PolicyRefusal.signal`, the one mapping from a policy refusal to what the client and
/// the logs see, against the policy rows of docs/verification.md "Alerts". Whether libssl
/// really sends each alert is proven by real handshakes (TLSServerHandlerTests,
/// HandshakeFailureReasonTests.allowListMissSignalsAsItsMappingSays).
@Suite struct PolicyRefusalSignalTests {
    struct Row: Sendable, CustomStringConvertible {
        var refusal: PolicyRefusal
        var verifyError: String
        var alert: String
        var logName: String
        var description: String { logName }
    }

    static let rows: [Row] = [
        Row(refusal: .missingClientAuthUsage, verifyError: "X509_V_ERR_INVALID_PURPOSE", alert: "unsupported_certificate",
            logName: "policy:client_auth_usage"),
        Row(refusal: .weakKey(bits: 1024, depth: 0), verifyError: "X509_V_ERR_EE_KEY_TOO_SMALL", alert: "bad_certificate",
            logName: "policy:weak_key"),
        Row(refusal: .weakKey(bits: 1024, depth: 1), verifyError: "X509_V_ERR_CA_KEY_TOO_SMALL", alert: "bad_certificate",
            logName: "policy:weak_key"),
        Row(refusal: .weakSignature(.sha1, depth: 1), verifyError: "X509_V_ERR_CA_MD_TOO_WEAK", alert: "bad_certificate",
            logName: "policy:weak_signature"),
        Row(refusal: .notAllowListed, verifyError: "X509_V_ERR_APPLICATION_VERIFICATION", alert: "handshake_failure",
            logName: "policy:allow_list"),
    ]

    @Test(arguments: rows)
    func signalMatchesTheDocumentedTable(row: Row) {
        let signal = row.refusal.signal
        #expect(VerifyErrorNames.name(of: signal.verifyError) == row.verifyError)
        #expect(signal.alert.name == row.alert)
        #expect(signal.logName == row.logName)
    }

    @Test func failureCarriesTheSignalsNameAndReasonAtTheRefusalsDepth() {
        let leaf = facts("leaf")
        let ca = facts("ca")
        let failure = PolicyRefusal.weakSignature(.sha1, depth: 1).failure(chain: [leaf, ca])
        #expect(failure.errorName == "policy:weak_signature")
        #expect(failure.reason == "SHA1 signature at depth 1 is too weak")
        #expect(failure.depth == 1)
        #expect(failure.certificate == ca)
        #expect(failure.presentedLeaf == leaf)
        let allowList = PolicyRefusal.notAllowListed.failure(chain: [leaf])
        #expect(VerificationOutcome.failed(allowList).headerValue == "FAILED:certificate is not on the site's allow-list")
    }

    func facts(_ cn: String) -> CertificateFacts {
        CertificateFacts(
            subject: "CN=\(cn)", issuer: "CN=Root", commonNames: [cn], serialHex: "01",
            sha256Fingerprint: cn, spkiSHA256: cn, dnsNames: [], uris: [], notBefore: .distantPast, notAfter: .distantFuture,
            extendedKeyUsage: nil, publicKey: PublicKeyFacts(algorithm: .ec, bits: 256), signatureDigest: .sha256,
            isSelfIssued: false, der: [])
    }
}
