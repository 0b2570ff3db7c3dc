internal import COpenSSL
import Foundation

/// The certificate generator's facet of `X509Certificate`: a new, empty `X509`
/// filled in field by field, signed, and written out as PEM.
///
/// These are the only mutating operations on an `X509Certificate`, and
/// `CertificateIssuer` uses them only on a certificate it has just created and
/// not yet shared; once signed it is as immutable as a parsed one.
extension X509Certificate {
    /// A new, empty certificate to fill in.
    convenience init() throws {
        BuiltInKeyEngine.prepare()
        self.init(taking: try openSSLCall("allocating a certificate") { X509_new() })
    }

    /// The first certificate of a PEM text (a CA read back from disk, an issuer pair).
    static func first(inPEM text: String, origin: String) throws -> X509Certificate {
        // `loadAll` never returns an empty array: it throws instead.
        try loadAll(pem: Array(text.utf8), origin: origin)[0]
    }

    /// X.509 v3, the only version that carries extensions.
    func setVersion3() throws {
        try openSSLCall("setting the version") { X509_set_version(pointer, Int(X509_VERSION_3)) }
    }

    func setRandomSerial() throws {
        try CertificateSerial.set(X509_get_serialNumber(pointer), toBytes: CertificateSerial.random())
    }

    /// Subject: O (when given) then CN, in the usual most-significant-first order.
    func setSubject(organization: String?, commonName: String) throws {
        let name = try openSSLCall("allocating the subject name") { X509_NAME_new() }
        defer { X509_NAME_free(name) }
        var entries: [(String, String)] = []
        if let organization { entries.append(("O", organization)) }
        entries.append(("CN", commonName))
        for (field, value) in entries {
            let bytes = Array(value.utf8)
            try openSSLCall("adding \(field)=\(value) to the subject") {
                X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, bytes, Int32(bytes.count), -1, 0)
            }
        }
        try openSSLCall("setting the subject name") { X509_set_subject_name(pointer, name) }
    }

    /// Copies the issuer's subject into this certificate's issuer name (itself when self-signed).
    func setIssuerName(from issuer: X509Certificate) throws {
        try openSSLCall("setting the issuer name") { X509_set_issuer_name(pointer, X509_get_subject_name(issuer.pointer)) }
    }

    func setValidity(notBefore: Date, notAfter: Date) throws {
        try CertificateTime.set(X509_getm_notBefore(pointer), to: notBefore, "setting notBefore")
        try CertificateTime.set(X509_getm_notAfter(pointer), to: notAfter, "setting notAfter")
    }

    func setPublicKey(of key: PrivateKey) throws {
        try openSSLCall("setting the public key") { X509_set_pubkey(pointer, key.pointer) }
    }

    /// Signs with `key`; `digest` comes from `CertificateIssuer.messageDigest`,
    /// `digestName` names it in errors.
    func sign(with key: PrivateKey, digest: OpaquePointer, digestName: String) throws {
        // X509_sign returns the signature length, so any positive value is success.
        try openSSLCall("signing the certificate with \(digestName)") { X509_sign(pointer, key.pointer, digest) }
    }

    /// Throws unless `key` is the private half of this certificate's public key,
    /// so a mixed-up CA file pair fails at issue time, not as an unverifiable chain later.
    func checkPrivateKey(_ key: PrivateKey, _ operation: String) throws {
        try openSSLCall(operation) { X509_check_private_key(pointer, key.pointer) }
    }

    /// The certificate as PEM (`BEGIN CERTIFICATE`).
    func pem() throws -> String {
        try pemText("writing the certificate PEM") { bio in PEM_write_bio_X509(bio, pointer) }
    }

    /// `serialHex` (as `openssl x509 -serial` prints it), but throwing where
    /// the generator must not hand out an empty serial.
    func checkedSerialHex() throws -> String {
        OpenSSLError.clearQueue()
        let hex = serialHex
        guard !hex.isEmpty else { throw OpenSSLError.drain("reading the serial number") }
        return hex
    }
}
