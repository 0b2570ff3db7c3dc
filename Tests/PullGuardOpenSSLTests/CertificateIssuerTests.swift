import Foundation
import Testing
@testable import PullGuardOpenSSL
import PullGuardTestSupport

/// Good certificates from `CertificateIssuer`, judged by the real `openssl` CLI.
@Suite("PKI: CertificateIssuer issues valid certificates")
struct PKICertificateIssuerTests {
    @Test("root and intermediate carry critical CA basicConstraints, the intermediate with pathlen 0")
    func caConstraints() throws {
        let (root, intermediate) = try PKITestSupport.rootAndIntermediate()
        let rootText = try PKITestSupport.x509(root.certificatePEM, ["-ext", "basicConstraints,keyUsage", "-subject"])
        #expect(rootText.status == 0)
        #expect(rootText.output.contains("X509v3 Basic Constraints: critical\n    CA:TRUE\n"))
        #expect(rootText.output.contains("X509v3 Key Usage: critical\n    Certificate Sign, CRL Sign"))
        #expect(rootText.output.contains("subject=O = PullGuard Tests, CN = Test Root CA"))

        let interText = try PKITestSupport.x509(intermediate.certificatePEM, ["-ext", "basicConstraints", "-issuer"])
        #expect(interText.output.contains("CA:TRUE, pathlen:0"))
        #expect(interText.output.contains("issuer=O = PullGuard Tests, CN = Test Root CA"))
    }

    @Test("an ECDSA client leaf verifies through the intermediate and shows the requested extensions")
    func ecdsaClientLeaf() throws {
        let (root, intermediate) = try PKITestSupport.rootAndIntermediate()
        let leaf = try CertificateIssuer.issue(
            CertificateProfile(
                commonName: "client-ec", extendedKeyUsage: [.clientAuth],
                dnsNames: ["client.example.test"], uris: ["spiffe://example.test/client,with-comma"]
            ),
            signedBy: intermediate
        )
        let verified = try PKITestSupport.verify(leaf, root: root, intermediate: intermediate)
        #expect(verified.status == 0, "\(verified.output)")
        #expect(verified.output.contains(": OK"))

        let text = try PKITestSupport.x509(leaf.certificatePEM, [
            "-ext", "extendedKeyUsage,basicConstraints,subjectAltName,keyUsage", "-serial", "-subject",
        ])
        #expect(text.output.contains("TLS Web Client Authentication"))
        #expect(!text.output.contains("TLS Web Server Authentication"))
        #expect(text.output.contains("X509v3 Basic Constraints: critical\n    CA:FALSE"))
        #expect(text.output.contains("X509v3 Key Usage: critical\n    Digital Signature\n"))
        // The comma stays inside one URI instead of starting a second name.
        #expect(text.output.contains("DNS:client.example.test, URI:spiffe://example.test/client,with-comma"))
        #expect(text.output.contains("serial=\(leaf.serialHex)\n"))
        #expect(text.output.contains("subject=CN = client-ec"))
    }

    @Test("an RSA-2048 client leaf verifies and adds keyEncipherment")
    func rsaClientLeaf() throws {
        let (root, intermediate) = try PKITestSupport.rootAndIntermediate()
        let leaf = try CertificateIssuer.issue(
            CertificateProfile(commonName: "client-rsa", extendedKeyUsage: [.clientAuth], key: .rsa(bits: 2048)),
            signedBy: intermediate
        )
        let verified = try PKITestSupport.verify(leaf, root: root, intermediate: intermediate, extra: ["-purpose", "sslclient"])
        #expect(verified.status == 0, "\(verified.output)")

        let text = try PKITestSupport.x509(leaf.certificatePEM, ["-text"])
        #expect(text.output.contains("Public-Key: (2048 bit)"))
        #expect(text.output.contains("Digital Signature, Key Encipherment"))
        #expect(text.output.contains("Signature Algorithm: sha256WithRSAEncryption") == false, "signed by the EC intermediate")
        #expect(text.output.contains("ecdsa-with-SHA256"))
        #expect(leaf.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
    }

    @Test("the serial is positive, random and printed like `openssl x509 -serial`")
    func serialFormat() throws {
        let first = try CertificateIssuer.issue(CertificateProfile(commonName: "a"), signedBy: nil)
        let second = try CertificateIssuer.issue(CertificateProfile(commonName: "b"), signedBy: nil)
        #expect(first.serialHex != second.serialHex)
        for issued in [first, second] {
            let printed = try PKITestSupport.x509(issued.certificatePEM, ["-serial"])
            #expect(printed.output == "serial=\(issued.serialHex)\n")
            #expect(issued.serialHex.count <= 32)
            #expect(issued.serialHex == issued.serialHex.uppercased())
            #expect(try CertificateIssuer.serialHex(ofCertificatePEM: issued.certificatePEM) == issued.serialHex)
        }
    }

    @Test("extendedKeyUsage is left out entirely when the profile says nil, and other OIDs are written as given")
    func extendedKeyUsageShapes() throws {
        let none = try CertificateIssuer.issue(CertificateProfile(commonName: "no-eku"), signedBy: nil)
        let noneText = try PKITestSupport.x509(none.certificatePEM, ["-text"])
        #expect(noneText.status == 0)
        #expect(!noneText.output.contains("Extended Key Usage"))

        let other = try CertificateIssuer.issue(
            CertificateProfile(commonName: "odd-eku", extendedKeyUsage: [.serverAuth, .anyExtendedKeyUsage, .other("1.3.6.1.4.1.99999.1")]),
            signedBy: nil
        )
        let otherText = try PKITestSupport.x509(other.certificatePEM, ["-ext", "extendedKeyUsage"])
        #expect(otherText.output.contains("TLS Web Server Authentication, Any Extended Key Usage, 1.3.6.1.4.1.99999.1"))
    }

    @Test("a server leaf with serverAuth passes `openssl verify -purpose sslserver`")
    func serverLeaf() throws {
        let (root, intermediate) = try PKITestSupport.rootAndIntermediate()
        let leaf = try CertificateIssuer.issue(
            CertificateProfile(commonName: "localhost", extendedKeyUsage: [.serverAuth], dnsNames: ["localhost"]),
            signedBy: intermediate
        )
        let verified = try PKITestSupport.verify(
            leaf, root: root, intermediate: intermediate, extra: ["-purpose", "sslserver", "-verify_hostname", "localhost"]
        )
        #expect(verified.status == 0, "\(verified.output)")
    }

    @Test("an issuer whose key does not match its certificate is refused")
    func mismatchedIssuerKey() throws {
        let (root, intermediate) = try PKITestSupport.rootAndIntermediate()
        var mixed = root
        mixed.privateKeyPEM = intermediate.privateKeyPEM
        #expect(throws: CertificateIssuerError.self) {
            try CertificateIssuer.issue(CertificateProfile(commonName: "x"), signedBy: mixed)
        }
    }
}
