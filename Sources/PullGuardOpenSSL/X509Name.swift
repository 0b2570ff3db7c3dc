internal import COpenSSL

/// Reads `X509_NAME` values into Swift strings.
enum X509Name {
    /// RFC 2253 order and escaping, UTF-8 kept as UTF-8 (`XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB`),
    /// the same text nginx puts in `$ssl_client_s_dn`.
    static func rfc2253(_ name: OpaquePointer?) -> String {
        guard let name else { return "" }
        let flags = CPullGuardOpenSSL_XN_FLAG_RFC2253() & ~CPullGuardOpenSSL_ASN1_STRFLGS_ESC_MSB()
        var printed = false
        let text = try? textWritten { bio in printed = X509_NAME_print_ex(bio, name, 0, flags) >= 0 }
        return printed ? text ?? "" : ""
    }

    /// Every value of one attribute (e.g. `NID_commonName`), as UTF-8.
    static func values(_ name: OpaquePointer?, nid: Int32) -> [String] {
        guard let name else { return [] }
        var values: [String] = []
        var index: Int32 = -1
        while true {
            index = X509_NAME_get_index_by_NID(name, nid, index)
            if index < 0 { break }
            guard let entry = X509_NAME_get_entry(name, index),
                  let data = X509_NAME_ENTRY_get_data(entry) else { continue }
            if let text = asn1StringUTF8(data) { values.append(text) }
        }
        return values
    }

    static func asn1StringUTF8(_ string: UnsafeMutablePointer<ASN1_STRING>) -> String? {
        var out: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&out, string)
        guard length >= 0, let out else { return nil }
        defer { _ = CPullGuardOpenSSL_OPENSSL_free(out) }
        return String(decoding: UnsafeBufferPointer(start: out, count: Int(length)), as: UTF8.self)
    }
}
