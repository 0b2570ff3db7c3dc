internal import COpenSSL

/// Serial-number conversions shared by certificates and CRLs.
enum CertificateSerial {
    /// A random positive 128-bit serial (RFC 5280 allows up to 20 octets; the
    /// top bit is cleared so the DER INTEGER stays positive in 16 octets, and
    /// an all-zero draw is redrawn because serial 0 is not allowed).
    static func random() throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 16)
        repeat {
            try openSSLCall("drawing a random serial number") { RAND_bytes(&bytes, Int32(bytes.count)) }
            bytes[0] &= 0x7F
        } while bytes.allSatisfy { $0 == 0 }
        return bytes
    }

    /// Sets `target` (an ASN1_INTEGER owned by someone else) to the big-endian `bytes`.
    static func set(_ target: UnsafeMutablePointer<ASN1_INTEGER>, toBytes bytes: [UInt8]) throws {
        let bignum = try openSSLCall("converting the serial number") {
            BN_bin2bn(bytes, Int32(bytes.count), nil)
        }
        defer { BN_free(bignum) }
        _ = try openSSLCall("setting the serial number") { BN_to_ASN1_INTEGER(bignum, target) }
    }

    private static func isASCIIHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte | 0x20)
    }

    /// A new ASN1_INTEGER from upper- or lower-case hex; the caller frees it.
    static func integer(fromHex hex: String) throws -> UnsafeMutablePointer<ASN1_INTEGER> {
        guard !hex.isEmpty, hex.count <= 40, hex.utf8.allSatisfy(isASCIIHexDigit) else {
            throw OpenSSLError(operation: "reading serial \"\(hex)\": expected 1 to 40 hex digits")
        }
        var parsed: OpaquePointer? = nil
        OpenSSLError.clearQueue()
        let digits = BN_hex2bn(&parsed, hex)
        guard let bignum = parsed else { throw OpenSSLError.drain("parsing serial \(hex)") }
        defer { BN_free(bignum) }
        guard digits == Int32(hex.utf8.count) else {
            throw OpenSSLError(operation: "parsing serial \(hex): only \(digits) hex digits were read")
        }
        return try openSSLCall("converting serial \(hex)") { BN_to_ASN1_INTEGER(bignum, nil) }
    }
}
