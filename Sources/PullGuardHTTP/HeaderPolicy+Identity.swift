import Foundation
import PullGuardCore

extension HeaderPolicy {
    /// The identity headers for one connection's verdict, in a fixed order.
    ///
    /// The verdict header is always sent (`SUCCESS`, `NONE`, `FAILED:<reason>`) so an
    /// upstream can tell "no certificate" from "header missing". The certificate
    /// headers describe the presented leaf whenever there is one, including in
    /// `optional` mode after a failed verification, as nginx does; the upstream must
    /// look at the verdict before trusting them.
    public static func identityHeaders(for outcome: VerificationOutcome,
                                       names: IdentityHeaderNames) -> [(String, String)] {
        var result: [(String, String)] = [(names.verify, headerSafe(outcome.headerValue))]
        guard let leaf = outcome.leaf else { return result }
        result.append((names.subject, headerSafe(leaf.subject)))
        result.append((names.issuer, headerSafe(leaf.issuer)))
        result.append((names.serial, headerSafe(leaf.serialHex)))
        result.append((names.fingerprint, headerSafe(leaf.sha256Fingerprint)))
        result.append((names.notAfter, imfFixdate(leaf.notAfter)))
        if names.rfc9440 {
            result.append(("Client-Cert", structuredFieldBytes(leaf.der)))
            if case .success(let identity) = outcome, identity.chain.count > 1 {
                let rest = identity.chain.dropFirst().map { structuredFieldBytes($0.der) }
                result.append(("Client-Cert-Chain", rest.joined(separator: ", ")))
            }
        }
        return result
    }

    /// Makes any string safe as a header value: bytes outside visible ASCII
    /// (controls, DEL, and every non-ASCII UTF-8 byte) and `%` itself become `%XX`;
    /// the space is kept because DNs use it.
    ///
    /// Subject and issuer DNs come from the client's certificate and may carry
    /// UTF-8 or even CR/LF; a raw CR/LF would split the header (response-splitting
    /// in reverse). Escaping `%` keeps the encoding reversible and unambiguous.
    public static func headerSafe(_ value: String) -> String {
        func isSafe(_ byte: UInt8) -> Bool {
            (byte >= 0x21 && byte <= 0x7E && byte != UInt8(ascii: "%")) || byte == 0x20
        }
        // Almost every value is plain ASCII already: return it without a copy.
        if value.utf8.allSatisfy(isSafe) { return value }
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count + 16)
        for byte in value.utf8 {
            if isSafe(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(contentsOf: hexByte(byte).utf8)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// RFC 7231 IMF-fixdate, `Thu, 01 Nov 2029 17:00:00 GMT`.
    ///
    /// Chosen over nginx's `$ssl_client_v_end` (`Nov  1 17:00:00 2029 GMT`) because
    /// every HTTP stack already parses it (it is the `Date` header format) and it has
    /// no double space. Computed by hand in UTC: no locale can change it, and it costs
    /// no Calendar or TimeZone objects.
    public static func imfFixdate(_ date: Date) -> String {
        let time = CivilTime(secondsSince1970: Int64(date.timeIntervalSince1970.rounded(.down)))
        // Written byte by byte into one 29-byte string: it is built on every new
        // connection, and eight interpolations cost ten times as much.
        let names = "SunMonTueWedThuFriSat".utf8
        let months = "JanFebMarAprMayJunJulAugSepOctNovDec".utf8
        return String(unsafeUninitializedCapacity: 29) { out in
            var writer = DigitWriter(out)
            func putName(_ table: String.UTF8View, _ position: Int) {
                for byte in table.dropFirst(position * 3).prefix(3) { writer.put(byte) }
            }
            putName(names, time.weekday)
            writer.put(", ")
            writer.put(time.day, width: 2)
            writer.put(" ")
            putName(months, time.month - 1)
            writer.put(" ")
            writer.put(min(max(time.year, 0), 9999), width: 4)
            writer.put(" ")
            writer.put(time.hour, width: 2)
            writer.put(":")
            writer.put(time.minute, width: 2)
            writer.put(":")
            writer.put(time.second, width: 2)
            writer.put(" GMT")
            return writer.count
        }
    }

    /// An RFC 8941 byte sequence, `:<base64>:`, as RFC 9440 requires for DER certificates.
    public static func structuredFieldBytes(_ bytes: [UInt8]) -> String {
        ":" + Data(bytes).base64EncodedString() + ":"
    }

    private static func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
