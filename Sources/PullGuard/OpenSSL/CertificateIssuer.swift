import Foundation
internal import COpenSSL

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
/// Every OpenSSL object lives in a Swift owner (`CertificateX509`,
/// `CertificatePrivateKey`) or is freed with `defer` inside one function; only
/// Swift values cross the public API.
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
        let key = try CertificatePrivateKey.generate(profile.key)
        let certificate = try CertificateX509()

        // Self-signed: the certificate is its own issuer and the new key signs it.
        let signer: (certificate: CertificateX509, key: CertificatePrivateKey)
        if let issuer {
            signer = try loadSigner(issuer)
        } else {
            signer = (certificate, key)
        }

        try openSSLCall("setting the version") { X509_set_version(certificate.pointer, Int(X509_VERSION_3)) }
        try CertificateSerial.set(X509_get_serialNumber(certificate.pointer), toBytes: CertificateSerial.random())
        try setSubject(of: certificate, profile)
        try openSSLCall("setting the issuer name") {
            X509_set_issuer_name(certificate.pointer, X509_get_subject_name(signer.certificate.pointer))
        }
        try CertificateTime.set(X509_getm_notBefore(certificate.pointer), to: profile.notBefore, "setting notBefore")
        try CertificateTime.set(X509_getm_notAfter(certificate.pointer), to: profile.notAfter, "setting notAfter")
        try openSSLCall("setting the public key") { X509_set_pubkey(certificate.pointer, key.pointer) }

        try CertificateExtensions.add(to: certificate, profile: profile, subjectKey: key, signer: signer)

        // X509_sign returns the signature length, so any positive value is success.
        try openSSLCall("signing the certificate with \(profile.digest.rawValue)") {
            X509_sign(certificate.pointer, signer.key.pointer, digest)
        }
        return IssuedCertificate(
            certificatePEM: try certificate.pem(),
            privateKeyPEM: try key.pkcs8PEM(),
            serialHex: try certificate.serialHex()
        )
    }

    /// The serial of the first certificate in `certificatePEM`, printed as
    /// `openssl x509 -serial` does (upper-case hex, no separators). Used to
    /// rebuild an `IssuedCertificate` for a CA read back from disk.
    public static func serialHex(ofCertificatePEM certificatePEM: String) throws -> String {
        try CertificateIssuerError.translating { try CertificateX509(pem: certificatePEM).serialHex() }
    }

    /// Parses the issuer's PEM pair and checks that the key belongs to the certificate.
    static func loadSigner(_ issuer: IssuedCertificate) throws -> (certificate: CertificateX509, key: CertificatePrivateKey) {
        let certificate = try CertificateX509(pem: issuer.certificatePEM)
        let key = try CertificatePrivateKey(pem: issuer.privateKeyPEM)
        try openSSLCall("checking that the issuer's private key matches its certificate") {
            X509_check_private_key(certificate.pointer, key.pointer)
        }
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
            throw OpenSSLError(operation: "choosing a digest: \(digest.rawValue) cannot sign with ECDSA or RSA keys", queue: [])
        }
        guard let md else { throw OpenSSLError.drain("loading the \(digest.rawValue) digest") }
        return md
    }

    /// Subject: O (when given) then CN, in the usual most-significant-first order.
    private static func setSubject(of certificate: CertificateX509, _ profile: CertificateProfile) throws {
        let name = try openSSLCall("allocating the subject name") { X509_NAME_new() }
        defer { X509_NAME_free(name) }
        var entries: [(String, String)] = []
        if let organization = profile.organization { entries.append(("O", organization)) }
        entries.append(("CN", profile.commonName))
        for (field, value) in entries {
            let bytes = Array(value.utf8)
            try openSSLCall("adding \(field)=\(value) to the subject") {
                X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, bytes, Int32(bytes.count), -1, 0)
            }
        }
        try openSSLCall("setting the subject name") { X509_set_subject_name(certificate.pointer, name) }
    }
}
