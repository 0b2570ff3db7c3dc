internal import COpenSSL
import PullGuardCore

/// The X.509 v3 extensions the generator writes, from a `CertificateProfile`.
///
/// Fixed-shape extensions (basicConstraints, keyUsage, key identifiers) go
/// through OpenSSL's own config-string parser, so they are encoded exactly as
/// `openssl req`/`openssl x509` would. extendedKeyUsage and subjectAltName are
/// built as ASN.1 structures instead, because their values come from users and
/// tests (DNS names, URIs, OIDs): a comma inside a URI must not be able to
/// smuggle in a second name the way it could through a config string.
enum CertificateExtensions {
    private static let serverAuthOID = "1.3.6.1.5.5.7.3.1"
    private static let clientAuthOID = "1.3.6.1.5.5.7.3.2"
    private static let anyExtendedKeyUsageOID = "2.5.29.37.0"

    static func add(
        to certificate: X509Certificate, profile: CertificateProfile,
        subjectKey: PrivateKey, signer: CertificateIssuer.Signer
    ) throws {
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, signer.certificate.pointer, certificate.pointer, nil, nil, 0)
        // Lets OpenSSL 3 find the authority key identifier of a self-signed
        // certificate, whose issuer certificate is still being built.
        try openSSLCall("setting the issuer key for extensions") {
            X509V3_set_issuer_pkey(&context, signer.key.pointer)
        }

        if profile.isCA {
            let pathLength = profile.pathLength.map { ",pathlen:\($0)" } ?? ""
            try addConfigured(NID_basic_constraints, "critical,CA:TRUE\(pathLength)", to: certificate, &context)
            try addConfigured(NID_key_usage, "critical,keyCertSign,cRLSign", to: certificate, &context)
        } else {
            // keyEncipherment only makes sense for RSA key transport; an EC leaf
            // with it is malformed by RFC 5480 and some clients refuse it.
            let usage = subjectKey.isRSA ? "digitalSignature,keyEncipherment" : "digitalSignature"
            try addConfigured(NID_basic_constraints, "critical,CA:FALSE", to: certificate, &context)
            try addConfigured(NID_key_usage, "critical,\(usage)", to: certificate, &context)
        }
        if let usages = profile.extendedKeyUsage {
            try addExtendedKeyUsage(usages, to: certificate)
        }
        if !profile.dnsNames.isEmpty || !profile.uris.isEmpty {
            try addSubjectAltName(dnsNames: profile.dnsNames, uris: profile.uris, to: certificate)
        }
        // The subject key identifier must exist before the authority key
        // identifier of a self-signed certificate can copy it.
        try addConfigured(NID_subject_key_identifier, "hash", to: certificate, &context)
        try addConfigured(NID_authority_key_identifier, "keyid,issuer", to: certificate, &context)
    }

    /// Adds one extension written in OpenSSL's x509v3_config syntax.
    private static func addConfigured(
        _ nid: Int32, _ value: String, to certificate: X509Certificate, _ context: inout X509V3_CTX
    ) throws {
        let name = String(cString: OBJ_nid2sn(nid))
        let ext = try openSSLCall("building \(name) \"\(value)\"") {
            X509V3_EXT_conf_nid(nil, &context, nid, value)
        }
        defer { X509_EXTENSION_free(ext) }
        try openSSLCall("adding \(name)") { X509_add_ext(certificate.pointer, ext, -1) }
    }

    private static func addExtendedKeyUsage(_ usages: [ExtendedKeyUsage], to certificate: X509Certificate) throws {
        // An empty SEQUENCE is invalid DER for this extension (SIZE (1..MAX));
        // "no extension at all" is spelled `extendedKeyUsage: nil`.
        guard !usages.isEmpty else {
            throw OpenSSLError(operation: "adding extendedKeyUsage: the list is empty (use nil for no extension)")
        }
        let stack = try openSSLCall("allocating extendedKeyUsage") { CPullGuardOpenSSL_sk_ASN1_OBJECT_new_null() }
        defer { CPullGuardOpenSSL_sk_ASN1_OBJECT_pop_free(stack) }
        for usage in usages {
            let oid: String
            switch usage {
            case .serverAuth: oid = serverAuthOID
            case .clientAuth: oid = clientAuthOID
            case .anyExtendedKeyUsage: oid = anyExtendedKeyUsageOID
            case .other(let dotted): oid = dotted
            }
            // no_name = 1: only dotted OIDs, so `.other` cannot name a short name by accident.
            let object = try openSSLCall("parsing extendedKeyUsage OID \"\(oid)\"") { OBJ_txt2obj(oid, 1) }
            guard CPullGuardOpenSSL_sk_ASN1_OBJECT_push(stack, object) > 0 else {
                ASN1_OBJECT_free(object)
                throw OpenSSLError.drain("adding \(oid) to extendedKeyUsage")
            }
        }
        try openSSLCall("adding extendedKeyUsage") {
            X509_add1_ext_i2d(certificate.pointer, NID_ext_key_usage, UnsafeMutableRawPointer(stack), 0, UInt(X509V3_ADD_DEFAULT))
        }
    }

    private static func addSubjectAltName(dnsNames: [String], uris: [String], to certificate: X509Certificate) throws {
        let names = try openSSLCall("allocating subjectAltName") { CPullGuardOpenSSL_sk_GENERAL_NAME_new_null() }
        defer { CPullGuardOpenSSL_GENERAL_NAMES_free(names) }
        let entries = dnsNames.map { (GEN_DNS, $0) } + uris.map { (GEN_URI, $0) }
        for (type, value) in entries {
            // IA5String is ASCII; a non-ASCII name would be silently mis-encoded.
            guard value.utf8.allSatisfy({ $0 < 0x80 }), !value.isEmpty else {
                throw OpenSSLError(operation: "adding subjectAltName \"\(value)\": must be non-empty ASCII")
            }
            let string = try openSSLCall("allocating a subjectAltName string") { ASN1_IA5STRING_new() }
            let bytes = Array(value.utf8)
            guard ASN1_STRING_set(string, bytes, Int32(bytes.count)) > 0 else {
                ASN1_IA5STRING_free(string)
                throw OpenSSLError.drain("setting subjectAltName \"\(value)\"")
            }
            guard let name = GENERAL_NAME_new() else {
                ASN1_IA5STRING_free(string)
                throw OpenSSLError.drain("allocating a subjectAltName entry")
            }
            GENERAL_NAME_set0_value(name, type, UnsafeMutableRawPointer(string))
            guard CPullGuardOpenSSL_sk_GENERAL_NAME_push(names, name) > 0 else {
                GENERAL_NAME_free(name)
                throw OpenSSLError.drain("adding subjectAltName \"\(value)\"")
            }
        }
        try openSSLCall("adding subjectAltName") {
            X509_add1_ext_i2d(certificate.pointer, NID_subject_alt_name, UnsafeMutableRawPointer(names), 0, UInt(X509V3_ADD_DEFAULT))
        }
    }
}
