import Foundation

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
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            if (byte >= 0x21 && byte <= 0x7E && byte != UInt8(ascii: "%")) || byte == 0x20 {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + hexByte(byte)
            }
        }
        return out
    }

    /// RFC 7231 IMF-fixdate, `Thu, 01 Nov 2029 17:00:00 GMT`.
    ///
    /// Chosen over nginx's `$ssl_client_v_end` (`Nov  1 17:00:00 2029 GMT`) because
    /// every HTTP stack already parses it (it is the `Date` header format) and it has
    /// no double space. Built by hand in UTC so no locale can change it.
    public static func imfFixdate(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "GMT")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int?) -> String { let v = n ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        let year = String(c.year ?? 0)
        return "\(days[(c.weekday ?? 1) - 1]), \(two(c.day)) \(months[(c.month ?? 1) - 1]) \(year) "
            + "\(two(c.hour)):\(two(c.minute)):\(two(c.second)) GMT"
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
