import Foundation
import Testing
@testable import PullGuardOpenSSL
import PullGuardTestSupport

@Suite("PKI: CertificateIssuer.makeCRL")
struct PKICRLTests {
    /// An intermediate, two client leaves under it, and a CRL from the
    /// intermediate that revokes only the first leaf.
    private static func fixture() throws -> (
        root: IssuedCertificate, intermediate: IssuedCertificate,
        revoked: IssuedCertificate, good: IssuedCertificate, crl: String
    ) {
        let (root, intermediate) = try PKITestSupport.rootAndIntermediate()
        let profile = CertificateProfile(commonName: "client", extendedKeyUsage: [.clientAuth])
        let revoked = try CertificateIssuer.issue(profile, signedBy: intermediate)
        let good = try CertificateIssuer.issue(profile, signedBy: intermediate)
        let crl = try CertificateIssuer.makeCRL(
            issuer: intermediate, revokedSerialHex: [revoked.serialHex],
            thisUpdate: Date().addingTimeInterval(-60), nextUpdate: Date().addingTimeInterval(86400)
        )
        return (root, intermediate, revoked, good, crl)
    }

    @Test("the CRL is v2, names its issuer, lists exactly the revoked serial and carries crlNumber and AKI")
    func crlContents() throws {
        let f = try Self.fixture()
        let directory = try PKITestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let crlFile = try PKITestSupport.write(f.crl, "crl.pem", in: directory)
        let text = try PKITestSupport.openssl(["crl", "-noout", "-text", "-in", crlFile.path])
        #expect(text.status == 0, "\(text.output)")
        #expect(text.output.contains("Version 2 (0x1)"))
        #expect(text.output.contains("Issuer: CN = Test Intermediate CA"))
        #expect(text.output.contains("Serial Number: \(f.revoked.serialHex)\n"))
        #expect(!text.output.contains(f.good.serialHex))
        #expect(text.output.contains("X509v3 CRL Number:"))
        #expect(text.output.contains("X509v3 Authority Key Identifier:"))
        #expect(text.output.contains("Signature Algorithm: ecdsa-with-SHA256"))
    }

    @Test("`openssl verify -crl_check` reports the revoked leaf as revoked")
    func revokedLeafIsRejected() throws {
        let f = try Self.fixture()
        let verified = try PKITestSupport.verify(f.revoked, root: f.root, intermediate: f.intermediate, crlPEM: f.crl)
        #expect(verified.status != 0)
        #expect(verified.output.contains("certificate revoked"))
    }

    @Test("`openssl verify -crl_check` accepts a leaf the CRL does not list")
    func unrevokedLeafPasses() throws {
        let f = try Self.fixture()
        let verified = try PKITestSupport.verify(f.good, root: f.root, intermediate: f.intermediate, crlPEM: f.crl)
        #expect(verified.status == 0, "\(verified.output)")
    }

    @Test("a serial that is not hex is refused")
    func invalidSerial() throws {
        let (_, intermediate) = try PKITestSupport.rootAndIntermediate()
        #expect(throws: CertificateIssuerError.self) {
            try CertificateIssuer.makeCRL(
                issuer: intermediate, revokedSerialHex: ["12:34"], thisUpdate: Date(), nextUpdate: Date().addingTimeInterval(60)
            )
        }
    }
}
