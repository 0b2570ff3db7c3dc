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
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        // Civil date from days since 1970-01-01 (proleptic Gregorian), H. Hinnant's algorithm.
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        let month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        let year = Int(yearOfEra + era * 400 + (month <= 2 ? 1 : 0))
        let weekday = Int(((days % 7) + 11) % 7)  // 1970-01-01 was a Thursday (index 4)
        // Written byte by byte into one 29-byte string: it is built on every new
        // connection, and eight interpolations cost ten times as much.
        let names = "SunMonTueWedThuFriSat".utf8
        let months = "JanFebMarAprMayJunJulAugSepOctNovDec".utf8
        return String(unsafeUninitializedCapacity: 29) { out in
            var index = 0
            func put(_ byte: UInt8) { out[index] = byte; index += 1 }
            func putName(_ table: String.UTF8View, _ position: Int) {
                for byte in table.dropFirst(position * 3).prefix(3) { put(byte) }
            }
            func putDigits(_ value: Int, _ count: Int) {
                var divisor = 1
                for _ in 1..<count { divisor *= 10 }
                while divisor > 0 {
                    put(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                    divisor /= 10
                }
            }
            putName(names, weekday)
            put(UInt8(ascii: ",")); put(UInt8(ascii: " "))
            putDigits(day, 2); put(UInt8(ascii: " "))
            putName(months, month - 1); put(UInt8(ascii: " "))
            putDigits(min(max(year, 0), 9999), 4); put(UInt8(ascii: " "))
            putDigits(secondOfDay / 3600, 2); put(UInt8(ascii: ":"))
            putDigits(secondOfDay % 3600 / 60, 2); put(UInt8(ascii: ":"))
            putDigits(secondOfDay % 60, 2)
            for byte in " GMT".utf8 { put(byte) }
            return index
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
