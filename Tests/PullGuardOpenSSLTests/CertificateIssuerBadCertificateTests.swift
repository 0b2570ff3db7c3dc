import Foundation
import Testing
@testable import PullGuardOpenSSL
import PullGuardTestSupport

/// Deliberately bad certificates: the integration tests need each of these to
/// prove PullGuard rejects them, so the generator must issue them as asked.
@Suite("PKI: CertificateIssuer issues deliberately bad certificates")
struct PKIBadCertificateTests {
    private static func date(_ text: String) -> Date {
        ISO8601DateFormatter().date(from: text)!
    }

    @Test("an expired leaf keeps its past dates exactly and fails `openssl verify` as expired")
    func expiredLeaf() throws {
        let (root, intermediate) = try PKITestSupport.rootAndIntermediate()
        let leaf = try CertificateIssuer.issue(
            CertificateProfile(
                commonName: "expired", extendedKeyUsage: [.clientAuth],
                notBefore: Self.date("2020-01-02T03:04:05Z"), notAfter: Self.date("2021-06-15T12:00:00Z")
            ),
            signedBy: intermediate
        )
        let dates = try PKITestSupport.x509(leaf.certificatePEM, ["-dates"])
        #expect(dates.output == "notBefore=Jan  2 03:04:05 2020 GMT\nnotAfter=Jun 15 12:00:00 2021 GMT\n")
        let verified = try PKITestSupport.verify(leaf, root: root, intermediate: intermediate)
        #expect(verified.status != 0)
        #expect(verified.output.contains("certificate has expired"))
    }

    @Test("a not-yet-valid leaf keeps its future dates (GeneralizedTime after 2049) and fails as not yet valid")
    func notYetValidLeaf() throws {
        let (root, intermediate) = try PKITestSupport.rootAndIntermediate()
        let leaf = try CertificateIssuer.issue(
            CertificateProfile(
                commonName: "future", extendedKeyUsage: [.clientAuth],
                notBefore: Self.date("2090-03-10T08:00:00Z"), notAfter: Self.date("2091-03-10T08:00:00Z")
            ),
            signedBy: intermediate
        )
        let dates = try PKITestSupport.x509(leaf.certificatePEM, ["-dates"])
        #expect(dates.output == "notBefore=Mar 10 08:00:00 2090 GMT\nnotAfter=Mar 10 08:00:00 2091 GMT\n")
        let verified = try PKITestSupport.verify(leaf, root: root, intermediate: intermediate)
        #expect(verified.status != 0)
        #expect(verified.output.contains("certificate is not yet valid"))
    }

    @Test("a SHA-1 signed RSA leaf carries sha1WithRSAEncryption")
    func sha1SignedLeaf() throws {
        let root = try CertificateIssuer.issue(
            CertificateProfile(commonName: "RSA Root", isCA: true, key: .rsa(bits: 2048)), signedBy: nil
        )
        let leaf = try CertificateIssuer.issue(
            CertificateProfile(commonName: "sha1-leaf", extendedKeyUsage: [.clientAuth], digest: .sha1),
            signedBy: root
        )
        let text = try PKITestSupport.x509(leaf.certificatePEM, ["-text"])
        #expect(text.status == 0)
        #expect(text.output.contains("Signature Algorithm: sha1WithRSAEncryption"))
    }

    @Test("an MD5 signed RSA leaf can be issued and carries md5WithRSAEncryption")
    func md5SignedLeaf() throws {
        let root = try CertificateIssuer.issue(
            CertificateProfile(commonName: "RSA Root", isCA: true, key: .rsa(bits: 2048)), signedBy: nil
        )
        let leaf = try CertificateIssuer.issue(
            CertificateProfile(commonName: "md5-leaf", extendedKeyUsage: [.clientAuth], digest: .md5),
            signedBy: root
        )
        let text = try PKITestSupport.x509(leaf.certificatePEM, ["-text"])
        #expect(text.status == 0)
        #expect(text.output.contains("Signature Algorithm: md5WithRSAEncryption"))
    }

    @Test("an RSA-1024 leaf has a 1024-bit key and still chains to its CA")
    func rsa1024Leaf() throws {
        let (root, intermediate) = try PKITestSupport.rootAndIntermediate()
        let leaf = try CertificateIssuer.issue(
            CertificateProfile(commonName: "weak-key", extendedKeyUsage: [.clientAuth], key: .rsa(bits: 1024)),
            signedBy: intermediate
        )
        let text = try PKITestSupport.x509(leaf.certificatePEM, ["-text"])
        #expect(text.output.contains("Public-Key: (1024 bit)"))
        // Security level 0: the point is that the chain is sound and only the key is weak.
        let verified = try PKITestSupport.verify(leaf, root: root, intermediate: intermediate, extra: ["-auth_level", "0"])
        #expect(verified.status == 0, "\(verified.output)")
    }

    @Test("a serverAuth-only leaf fails `openssl verify -purpose sslclient`")
    func wrongExtendedKeyUsage() throws {
        let (root, intermediate) = try PKITestSupport.rootAndIntermediate()
        let leaf = try CertificateIssuer.issue(
            CertificateProfile(commonName: "server-only", extendedKeyUsage: [.serverAuth]), signedBy: intermediate
        )
        let verified = try PKITestSupport.verify(leaf, root: root, intermediate: intermediate, extra: ["-purpose", "sslclient"])
        #expect(verified.status != 0)
        #expect(verified.output.contains("unsuitable certificate purpose"))
    }

    @Test("profiles that cannot be encoded are refused with an error, not a broken certificate")
    func unencodableProfiles() throws {
        #expect(throws: CertificateIssuerError.self) {
            try CertificateIssuer.issue(CertificateProfile(commonName: "e", extendedKeyUsage: []), signedBy: nil)
        }
        #expect(throws: CertificateIssuerError.self) {
            try CertificateIssuer.issue(CertificateProfile(commonName: "o", extendedKeyUsage: [.other("not-an-oid")]), signedBy: nil)
        }
        #expect(throws: CertificateIssuerError.self) {
            try CertificateIssuer.issue(CertificateProfile(commonName: "d", digest: .intrinsic), signedBy: nil)
        }
        #expect(throws: CertificateIssuerError.self) {
            try CertificateIssuer.issue(CertificateProfile(commonName: "k", key: .rsa(bits: 512)), signedBy: nil)
        }
    }
}
