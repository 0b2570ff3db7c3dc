import Foundation
internal import COpenSSL

extension CertificateIssuer {
    /// Issues a v2 CRL signed by `issuer` (SHA-256) that revokes `revokedSerialHex`.
    ///
    /// The revocation date of every entry is `thisUpdate`. The crlNumber is
    /// `thisUpdate` in whole seconds since 1970: RFC 5280 wants it to grow with
    /// every CRL a CA issues, and a time-based number does so without keeping a
    /// counter file next to the CA. An authorityKeyIdentifier lets verifiers
    /// match the CRL to the right CA key.
    ///
    /// - Parameter revokedSerialHex: serials as `IssuedCertificate.serialHex`
    ///   or `openssl x509 -serial` print them (hex, any case).
    /// - Returns: the CRL as PEM (`BEGIN X509 CRL`).
    public static func makeCRL(
        issuer: IssuedCertificate, revokedSerialHex: [String], thisUpdate: Date, nextUpdate: Date
    ) throws -> String {
        try CertificateIssuerError.translating {
            try signCRL(issuer: issuer, revokedSerialHex: revokedSerialHex, thisUpdate: thisUpdate, nextUpdate: nextUpdate)
        }
    }

    private static func signCRL(
        issuer: IssuedCertificate, revokedSerialHex: [String], thisUpdate: Date, nextUpdate: Date
    ) throws -> String {
        let signer = try loadSigner(issuer)
        let crl = try openSSLCall("allocating a CRL") { X509_CRL_new() }
        defer { X509_CRL_free(crl) }

        try openSSLCall("setting the CRL version") { X509_CRL_set_version(crl, Int(X509_CRL_VERSION_2)) }
        try openSSLCall("setting the CRL issuer") {
            X509_CRL_set_issuer_name(crl, X509_get_subject_name(signer.certificate.pointer))
        }
        try withTime(thisUpdate) { time in
            try openSSLCall("setting the CRL thisUpdate") { X509_CRL_set1_lastUpdate(crl, time) }
        }
        try withTime(nextUpdate) { time in
            try openSSLCall("setting the CRL nextUpdate") { X509_CRL_set1_nextUpdate(crl, time) }
        }
        for serialHex in revokedSerialHex {
            try addRevoked(serialHex, at: thisUpdate, to: crl)
        }

        let number = try openSSLCall("allocating the CRL number") { ASN1_INTEGER_new() }
        defer { ASN1_INTEGER_free(number) }
        try openSSLCall("setting the CRL number") {
            ASN1_INTEGER_set_int64(number, Int64(CertificateTime.timeT(thisUpdate)))
        }
        try openSSLCall("adding crlNumber") {
            X509_CRL_add1_ext_i2d(crl, NID_crl_number, UnsafeMutableRawPointer(number), 0, 0)
        }

        var context = X509V3_CTX()
        X509V3_set_ctx(&context, signer.certificate.pointer, nil, nil, crl, 0)
        let authorityKey = try openSSLCall("building the CRL authorityKeyIdentifier") {
            X509V3_EXT_conf_nid(nil, &context, NID_authority_key_identifier, "keyid:always")
        }
        defer { X509_EXTENSION_free(authorityKey) }
        try openSSLCall("adding the CRL authorityKeyIdentifier") { X509_CRL_add_ext(crl, authorityKey, -1) }

        // DER requires revoked entries in a canonical order; sort before signing.
        try openSSLCall("sorting the CRL") { X509_CRL_sort(crl) }
        try openSSLCall("signing the CRL") { X509_CRL_sign(crl, signer.key.pointer, EVP_sha256()) }
        return try pemText("writing the CRL PEM") { bio in PEM_write_bio_X509_CRL(bio, crl) }
    }

    private static func addRevoked(_ serialHex: String, at date: Date, to crl: OpaquePointer) throws {
        let serial = try CertificateSerial.integer(fromHex: serialHex)
        defer { ASN1_INTEGER_free(serial) }
        let entry = try openSSLCall("allocating a revoked entry") { X509_REVOKED_new() }
        var owned = true
        defer { if owned { X509_REVOKED_free(entry) } }
        try openSSLCall("setting revoked serial \(serialHex)") { X509_REVOKED_set_serialNumber(entry, serial) }
        try withTime(date) { time in
            try openSSLCall("setting the revocation date") { X509_REVOKED_set_revocationDate(entry, time) }
        }
        try openSSLCall("adding revoked serial \(serialHex)") { X509_CRL_add0_revoked(crl, entry) }
        owned = false  // the CRL owns the entry from here on
    }

    /// A temporary ASN1_TIME for setters that copy their argument.
    @discardableResult
    private static func withTime<T>(_ date: Date, _ body: (UnsafeMutablePointer<ASN1_TIME>) throws -> T) throws -> T {
        let time = try openSSLCall("converting \(date) to ASN1_TIME") {
            ASN1_TIME_set(nil, CertificateTime.timeT(date))
        }
        defer { ASN1_TIME_free(time) }
        return try body(time)
    }
}
