import Foundation
import Logging
import Testing
@testable import PullGuardCore
@testable import PullGuardObservability
@testable import PullGuardOpenSSL
@testable import PullGuardTLS

/// The failure classification and its one mapping to counter, level and log line, on
/// values: no handshake, no sockets. The strings here are the contract of
/// docs/metrics.md "Log lines" and docs/verification.md "The refusal log line".
@Suite struct HandshakeRefusalRecordTests {
    let queue = OpenSSLError(operation: "TLS handshake", entries: [OpenSSLErrorEntry(.noSharedCipher)])

    func failure(_ reason: TLSHandshakeFailure.Reason, error: OpenSSLError? = nil) -> TLSHandshakeFailure {
        TLSHandshakeFailure(siteName: "origin", serverName: nil, reason: reason, error: error ?? queue)
    }

    let expired = VerificationFailure(
        kind: .chain(code: 10), reason: "certificate has expired", errorName: "X509_V_ERR_CERT_HAS_EXPIRED", depth: 1,
        certificate: CertificateFacts(
            subject: "CN=Intermediate", issuer: "CN=Root", commonNames: ["Intermediate"], serialHex: "7A3F",
            sha256Fingerprint: "5b0e", spkiSHA256: "cd", dnsNames: [], uris: [],
            notBefore: .distantPast, notAfter: .distantPast, extendedKeyUsage: nil,
            publicKey: PublicKeyFacts(algorithm: .ec, bits: 256), signatureDigest: .sha256, isSelfIssued: false, der: []),
        presentedLeaf: nil)

    @Test func certificateRefusalNamesTheCertificateAtItsDepth() {
        let record = HandshakeRefusalRecord(failure(.certificateRefused(expired)), client: "203.0.113.7")
        #expect(record.counter == .refusedCertificate)
        #expect(record.level == .warning)
        #expect(record.message == "client certificate refused")
        #expect(record.metadata == [
            "client": "203.0.113.7", "sni": "-", "site": "origin", "verify_error": "X509_V_ERR_CERT_HAS_EXPIRED",
            "reason": "certificate has expired", "depth": "1", "subject": "CN=Intermediate", "issuer": "CN=Root",
            "serial": "7A3F", "fingerprint": "5b0e",
        ])
    }

    @Test func missingCertificate() {
        let record = HandshakeRefusalRecord(failure(.noCertificate), client: "203.0.113.7")
        #expect(record.counter == .refusedNoCertificate)
        #expect(record.level == .warning)
        #expect(record.message == "client certificate refused: none presented")
        #expect(record.metadata == ["client": "203.0.113.7", "sni": "-", "site": "origin", "verify_error": "no_certificate"])
    }

    @Test func refusedServerName() {
        let record = HandshakeRefusalRecord(failure(.serverNameRefused), client: "203.0.113.7")
        #expect(record.counter == .handshakeFailed)
        #expect(record.level == .warning)
        #expect(record.message == "TLS handshake refused: unknown server name")
        #expect(record.metadata["error"] == .string(queue.description))
    }

    @Test(arguments: [TLSHandshakeFailure.Reason.protocolMismatch(.cipher), .peerAlert(.unknownCA), .other])
    func otherFailuresAreInfoWithTheQueue(reason: TLSHandshakeFailure.Reason) {
        let record = HandshakeRefusalRecord(failure(reason), client: "203.0.113.7")
        #expect(record.counter == .handshakeFailed)
        #expect(record.level == .info)
        #expect(record.message == "TLS handshake failed")
        #expect(record.metadata == ["client": "203.0.113.7", "sni": "-", "site": "origin", "error": .string(queue.description)])
        #expect(queue.description.contains("no shared cipher"))
    }

    // MARK: Classification

    func reason(verification: VerificationOutcome? = nil, serverNameRefused: Bool = false,
                _ entries: [OpenSSLErrorReason]) -> TLSHandshakeFailure.Reason {
        TLSHandshakeFailure.Reason(verification: verification, serverNameRefused: serverNameRefused,
                                   error: OpenSSLError(operation: "TLS handshake", entries: entries.map { OpenSSLErrorEntry($0) }))
    }

    @Test func aRecordedVerificationFailureWins() {
        #expect(reason(verification: .failed(expired), serverNameRefused: true, [.certificateVerifyFailed]) == .certificateRefused(expired))
    }

    @Test func aPassedOrAbsentVerificationDoesNotMakeARefusal() {
        #expect(reason(verification: VerificationOutcome.none, [.peerDidNotReturnACertificate]) == .noCertificate)
        #expect(reason(verification: nil, []) == .other)
    }

    @Test func noCertificateIsLibsslsFirstEntry() {
        #expect(reason([.peerDidNotReturnACertificate]) == .noCertificate)
        #expect(reason([.noSharedCipher, .peerDidNotReturnACertificate]) == .protocolMismatch(.cipher))
    }

    @Test func aRefusedNameBeatsTheQueue() {
        #expect(reason(serverNameRefused: true, [.alertReceived(.unrecognizedName)]) == .serverNameRefused)
    }

    @Test func alertsAndMismatchesComeFromReasonCodes() {
        #expect(reason([.alertReceived(.unknownCA)]) == .peerAlert(.unknownCA))
        #expect(reason([.unsupportedProtocol]) == .protocolMismatch(.version))
        #expect(reason([.noSharedGroups]) == .protocolMismatch(.group))
        #expect(reason([.noSharedSignatureAlgorithms]) == .protocolMismatch(.signatureAlgorithm))
        #expect(reason([.noApplicationProtocol]) == .protocolMismatch(.applicationProtocol))
        #expect(reason([.certificateAlreadyInHashTable]) == .other)
    }
}
