internal import COpenSSL
import Foundation
import PullGuardCore

extension X509Certificate {
    /// Everything verification policy and identity headers need, as values.
    ///
    /// Computed once per presented certificate per handshake (and cacheable by
    /// fingerprint later): policy code never holds an OpenSSL pointer.
    public var facts: CertificateFacts {
        let subjectName = X509_get_subject_name(pointer)
        let issuerName = X509_get_issuer_name(pointer)
        return CertificateFacts(
            subject: X509Name.rfc2253(subjectName),
            issuer: X509Name.rfc2253(issuerName),
            commonNames: X509Name.values(subjectName, nid: NID_commonName),
            serialHex: serialHex,
            sha256Fingerprint: sha256Fingerprint,
            spkiSHA256: spkiSHA256,
            dnsNames: subjectAltNames(ofType: GEN_DNS),
            uris: subjectAltNames(ofType: GEN_URI),
            notBefore: Self.date(X509_get0_notBefore(pointer)),
            notAfter: Self.date(X509_get0_notAfter(pointer)),
            extendedKeyUsage: extendedKeyUsage,
            publicKey: publicKeyFacts,
            signatureDigest: signatureDigest,
            isSelfIssued: X509_NAME_cmp(subjectName, issuerName) == 0,
            der: der
        )
    }

    /// Upper-case hex as `openssl x509 -serial` and nginx's `$ssl_client_serial` print it.
    var serialHex: String {
        guard let serial = X509_get0_serialNumber(pointer),
              let bignum = ASN1_INTEGER_to_BN(serial, nil) else { return "" }
        defer { BN_free(bignum) }
        guard let text = BN_bn2hex(bignum) else { return "" }
        defer { _ = CPullGuardOpenSSL_OPENSSL_free(text) }
        return String(cString: text)
    }

    /// SHA-256 over the DER SubjectPublicKeyInfo: the pin that survives re-issuing with the same key.
    var spkiSHA256: String {
        guard let publicKey = X509_get_X509_PUBKEY(pointer) else { return "" }
        let length = i2d_X509_PUBKEY(publicKey, nil)
        guard length > 0 else { return "" }
        var spki = [UInt8](repeating: 0, count: Int(length))
        spki.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            _ = i2d_X509_PUBKEY(publicKey, &cursor)
        }
        return hexString(SHA256Digest.hash(spki))
    }

    private func subjectAltNames(ofType type: Int32) -> [String] {
        guard let raw = X509_get_ext_d2i(pointer, NID_subject_alt_name, nil, nil) else { return [] }
        let names = OpaquePointer(raw)
        defer { CPullGuardOpenSSL_GENERAL_NAMES_free(names) }
        var result: [String] = []
        for index in 0..<CPullGuardOpenSSL_sk_GENERAL_NAME_num(names) {
            guard let name = CPullGuardOpenSSL_sk_GENERAL_NAME_value(names, index),
                  name.pointee.type == type,
                  let value = name.pointee.d.ia5,
                  let text = X509Name.asn1StringUTF8(value) else { continue }
            result.append(text)
        }
        return result
    }

    private var extendedKeyUsage: [ExtendedKeyUsage]? {
        let flags = X509_get_extended_key_usage(pointer)
        // UINT32_MAX means "no extendedKeyUsage extension": any purpose (RFC 5280 §4.2.1.12).
        if flags == UInt32.max { return nil }
        var usages: [ExtendedKeyUsage] = []
        if flags & UInt32(XKU_SSL_SERVER) != 0 { usages.append(.serverAuth) }
        if flags & UInt32(XKU_SSL_CLIENT) != 0 { usages.append(.clientAuth) }
        if flags & UInt32(XKU_ANYEKU) != 0 { usages.append(.anyExtendedKeyUsage) }
        let others: [(Int32, String)] = [
            (XKU_SMIME, "emailProtection"), (XKU_CODE_SIGN, "codeSigning"), (XKU_OCSP_SIGN, "OCSPSigning"),
            (XKU_TIMESTAMP, "timeStamping"), (XKU_DVCS, "dvcs"),
        ]
        for (bit, name) in others where flags & UInt32(bit) != 0 { usages.append(.other(name)) }
        return usages
    }

    private var publicKeyFacts: PublicKeyFacts {
        guard let key = X509_get0_pubkey(pointer) else { return PublicKeyFacts(algorithm: .other, bits: 0) }
        let algorithm: PublicKeyFacts.Algorithm
        switch EVP_PKEY_get_base_id(key) {
        case EVP_PKEY_RSA, EVP_PKEY_RSA_PSS: algorithm = .rsa
        case EVP_PKEY_EC: algorithm = .ec
        case EVP_PKEY_ED25519: algorithm = .ed25519
        case EVP_PKEY_ED448: algorithm = .ed448
        default: algorithm = .other
        }
        return PublicKeyFacts(algorithm: algorithm, bits: Int(EVP_PKEY_get_bits(key)))
    }

    private var signatureDigest: SignatureDigest {
        var digestNID: Int32 = 0
        var keyNID: Int32 = 0
        guard X509_get_signature_info(pointer, &digestNID, &keyNID, nil, nil) == 1 else { return .unknown }
        switch digestNID {
        case NID_md5: return .md5
        case NID_sha1: return .sha1
        case NID_sha224: return .sha224
        case NID_sha256: return .sha256
        case NID_sha384: return .sha384
        case NID_sha512: return .sha512
        case NID_undef: return keyNID == NID_ED25519 || keyNID == NID_ED448 ? .intrinsic : .unknown
        default: return .unknown
        }
    }

    static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date {
        var parts = tm()
        guard let time, ASN1_TIME_to_tm(time, &parts) == 1 else { return Date(timeIntervalSince1970: 0) }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}

/// One-shot SHA-256, for fingerprints and pins.
enum SHA256Digest {
    static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        bytes.withUnsafeBytes { raw in
            _ = EVP_Digest(raw.baseAddress, raw.count, &digest, &length, EVP_sha256(), nil)
        }
        return digest
    }
}
