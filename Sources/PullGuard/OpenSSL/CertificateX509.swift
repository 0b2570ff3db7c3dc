import Foundation
internal import COpenSSL

/// Owns one `X509` for the certificate generator and frees it in `deinit`.
final class CertificateX509 {
    let pointer: OpaquePointer

    /// A new, empty certificate to fill in.
    init() throws {
        pointer = try openSSLCall("allocating a certificate") { X509_new() }
    }

    /// Parses the first certificate of a PEM text.
    init(pem: String) throws {
        pointer = try withMemoryBIO(Array(pem.utf8)) { bio in
            try openSSLCall("parsing the certificate PEM") { PEM_read_bio_X509(bio, nil, nil, nil) }
        }
    }

    deinit {
        X509_free(pointer)
    }

    func pem() throws -> String {
        try pemText("writing the certificate PEM") { bio in PEM_write_bio_X509(bio, pointer) }
    }

    /// The serial as `BN_bn2hex` prints it: upper-case hex, whole bytes, no
    /// separators, which is what `openssl x509 -serial` shows and what CRLs
    /// and `X-Client-Cert-Serial` compare against.
    func serialHex() throws -> String {
        let serial = try openSSLCall("reading the serial number") { X509_get0_serialNumber(pointer) }
        return try CertificateSerial.hex(of: serial)
    }
}

/// Serial-number conversions shared by certificates and CRLs.
enum CertificateSerial {
    /// Upper-case hex of an ASN1_INTEGER via BN_bn2hex.
    static func hex(of integer: UnsafePointer<ASN1_INTEGER>) throws -> String {
        let bignum = try openSSLCall("converting the serial number") { ASN1_INTEGER_to_BN(integer, nil) }
        defer { BN_free(bignum) }
        let text = try openSSLCall("printing the serial number") { BN_bn2hex(bignum) }
        defer { CPullGuardOpenSSL_OPENSSL_free(text) }
        return String(cString: text)
    }

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
            throw OpenSSLError(operation: "reading serial \"\(hex)\": expected 1 to 40 hex digits", queue: [])
        }
        var parsed: OpaquePointer? = nil
        ERR_clear_error()
        let digits = BN_hex2bn(&parsed, hex)
        guard let bignum = parsed else { throw OpenSSLError.drain("parsing serial \(hex)") }
        defer { BN_free(bignum) }
        guard digits == Int32(hex.utf8.count) else {
            throw OpenSSLError(operation: "parsing serial \(hex): only \(digits) hex digits were read", queue: [])
        }
        return try openSSLCall("converting serial \(hex)") { BN_to_ASN1_INTEGER(bignum, nil) }
    }
}

/// Date conversion for ASN1_TIME fields.
enum CertificateTime {
    /// Whole seconds since 1970, rounded down; dates in the past and far
    /// future are fine (OpenSSL picks UTCTime or GeneralizedTime as RFC 5280 asks).
    static func timeT(_ date: Date) -> time_t {
        time_t(date.timeIntervalSince1970.rounded(.down))
    }

    /// Sets an ASN1_TIME owned by someone else.
    static func set(_ target: UnsafeMutablePointer<ASN1_TIME>, to date: Date, _ operation: String) throws {
        _ = try openSSLCall(operation) { ASN1_TIME_set(target, timeT(date)) }
    }
}
