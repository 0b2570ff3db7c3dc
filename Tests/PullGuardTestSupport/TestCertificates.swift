import Foundation
import PullGuardCore

/// Hand-made certificate facts: the proxy only turns them into headers, so no real PKI is needed.
public enum TestCertificates {
    public static func facts(subject: String = "CN=client,O=Example", issuer: String = "CN=Test CA",
                      der: [UInt8] = [0x30, 0x82, 0x01, 0x0A], notAfter: Date = Date(timeIntervalSince1970: 1_888_246_800))
        -> CertificateFacts {
        CertificateFacts(
            subject: subject, issuer: issuer, commonNames: ["client"], serialHex: "0A1B2C",
            sha256Fingerprint: String(repeating: "ab", count: 32), spkiSHA256: String(repeating: "cd", count: 32),
            dnsNames: [], uris: [], notBefore: Date(timeIntervalSince1970: 1_700_000_000), notAfter: notAfter,
            extendedKeyUsage: [.clientAuth], publicKey: PublicKeyFacts(algorithm: .ec, bits: 256),
            signatureDigest: .sha256, isSelfIssued: false, der: der)
    }

    public static func success(trustSource: String = "/etc/pullguard/clients.pem") -> VerificationOutcome {
        .success(PeerIdentity(chain: [facts(), facts(subject: "CN=Test CA", issuer: "CN=Test CA", der: [1, 2, 3])],
                              trustSource: trustSource))
    }

    public static var cloudflare: VerificationOutcome { success(trustSource: TrustSourceName.cloudflare) }
}
