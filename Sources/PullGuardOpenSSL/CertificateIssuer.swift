import Foundation
internal import COpenSSL
import PullGuardCore

/// The built-in certificate generator: turns a `CertificateProfile` into a
/// signed X.509 v3 certificate and a fresh private key, as PEM text.
///
/// Two users need it. `pullguard demo` and `pullguard pki …` create a private
/// CA and client certificates for people who have no PKI of their own (see
/// `PKI/PrivatePKI.swift`). The integration tests create their whole PKI at
/// test time, including deliberately bad certificates (expired, not yet valid,
/// SHA-1 or MD5 signed, RSA-1024, wrong extendedKeyUsage), so nothing here
/// enforces policy: profiles are issued exactly as asked, and judging them is
/// the job of `Verification/`.
///
/// Every OpenSSL object lives in the same Swift owners the TLS layer uses
/// (`X509Certificate`, `PrivateKey`, extended in `X509Certificate+Building.swift`
/// and `PrivateKey+Generation.swift`) or is freed with `defer` inside one
/// function; only Swift values cross the public API.
public enum CertificateIssuer {
    /// Issues a certificate for `profile` with a newly generated key.
    ///
    /// - Parameter issuer: the signing CA; `nil` issues a self-signed certificate.
    ///   The issuer's key must belong to its certificate, which is checked so a
    ///   mixed-up CA file pair fails here rather than as an unverifiable chain later.
    public static func issue(_ profile: CertificateProfile, signedBy issuer: IssuedCertificate?) throws -> IssuedCertificate {
        try CertificateIssuerError.translating { try issueCertificate(profile, signedBy: issuer) }
    }

    private static func issueCertificate(_ profile: CertificateProfile, signedBy issuer: IssuedCertificate?) throws -> IssuedCertificate {
        let digest = try messageDigest(profile.digest)
        let key = try PrivateKey.generate(profile.key)
        let certificate = try X509Certificate()

        // Self-signed: the certificate is its own issuer and the new key signs it.
        let signer: Signer
        if let issuer {
            signer = try loadSigner(issuer)
        } else {
            signer = (certificate, key)
        }

        try certificate.setVersion3()
        try certificate.setRandomSerial()
        try certificate.setSubject(organization: profile.organization, commonName: profile.commonName)
        try certificate.setIssuerName(from: signer.certificate)
        try certificate.setValidity(notBefore: profile.notBefore, notAfter: profile.notAfter)
        try certificate.setPublicKey(of: key)
        try CertificateExtensions.add(to: certificate, profile: profile, subjectKey: key, signer: signer)
        try certificate.sign(with: signer.key, digest: digest, digestName: profile.digest.rawValue)
        return IssuedCertificate(
            certificatePEM: try certificate.pem(),
            privateKeyPEM: try key.pkcs8PEM(),
            serialHex: try certificate.checkedSerialHex()
        )
    }

    /// The serial of the first certificate in `certificatePEM`, printed as
    /// `openssl x509 -serial` does (upper-case hex, no separators). Used to
    /// rebuild an `IssuedCertificate` for a CA read back from disk.
    public static func serialHex(ofCertificatePEM certificatePEM: String) throws -> String {
        try CertificateIssuerError.translating {
            try X509Certificate.first(inPEM: certificatePEM, origin: "the certificate PEM").checkedSerialHex()
        }
    }

    /// A signing CA: its certificate and the private key that belongs to it.
    typealias Signer = (certificate: X509Certificate, key: PrivateKey)

    /// Parses the issuer's PEM pair and checks that the key belongs to the certificate.
    static func loadSigner(_ issuer: IssuedCertificate) throws -> Signer {
        let certificate = try X509Certificate.first(inPEM: issuer.certificatePEM, origin: "the issuer certificate PEM")
        let key = try PrivateKey.load(pem: Array(issuer.privateKeyPEM.utf8), origin: "the issuer key PEM")
        try certificate.checkPrivateKey(key, "checking that the issuer's private key matches its certificate")
        return (certificate, key)
    }

    /// The OpenSSL digest for a signature. MD5 and SHA-1 are allowed on purpose
    /// (tests of weak signatures); `intrinsic` and `unknown` describe certificates
    /// we read, not something we can sign with ECDSA or RSA.
    static func messageDigest(_ digest: SignatureDigest) throws -> OpaquePointer {
        let md: OpaquePointer?
        switch digest {
        case .md5: md = EVP_md5()
        case .sha1: md = EVP_sha1()
        case .sha224: md = EVP_sha224()
        case .sha256: md = EVP_sha256()
        case .sha384: md = EVP_sha384()
        case .sha512: md = EVP_sha512()
        case .intrinsic, .unknown:
            throw OpenSSLError(operation: "choosing a digest: \(digest.rawValue) cannot sign with ECDSA or RSA keys")
        }
        guard let md else { throw OpenSSLError.drain("loading the \(digest.rawValue) digest") }
        return md
    }
}
