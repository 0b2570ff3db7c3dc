/// The few ASCII tests header handling needs, on bytes and on text. Header values
/// are checked on their bytes on the hot path (no `Character` iteration), so the byte
/// and text forms of each rule live side by side here.
extension UInt8 {
    /// SP or HTAB: the optional whitespace around header values and list tokens.
    var isSpaceOrTab: Bool { self == UInt8(ascii: " ") || self == UInt8(ascii: "\t") }
    var isASCIIUppercase: Bool { self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z") }
    var isASCIIDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
}

extension Substring {
    func trimmingASCIISpaces() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }
}

extension String {
    package func trimmingASCIISpaces() -> Substring { Substring(self).trimmingASCIISpaces() }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

/// The byte classes of HTTP/1.1's grammar (RFC 9110 §5.1, §5.5), for the upstream codec.
extension UInt8 {
    static let carriageReturn = UInt8(ascii: "\r")
    static let lineFeed = UInt8(ascii: "\n")

    /// `tchar`: the bytes of a header name or a method. A bit mask rather than a switch
    /// or a table: the request writer asks this for every byte of every header name.
    var isTokenByte: Bool {
        // Bits set for `!#$%&'*+-.^_`|~`, digits and letters. Masking shifts (`&>>`): the
        // checked `>>` tested its shift count on every byte.
        let mask: UInt64 = self < 64 ? 0x03FF_6CFA_0000_0000 : 0x57FF_FFFF_C7FF_FFFE
        return self < 128 && mask &>> UInt64(self & 63) & 1 == 1
    }

    /// A byte a field value may hold: HTAB, SP, visible ASCII, obs-text. Never CR, LF,
    /// NUL or another control byte.
    var isFieldValueByte: Bool { self == UInt8(ascii: "\t") || (self >= 0x20 && self != 0x7F) }

    /// The value of a hexadecimal digit, either case.
    var hexDigitValue: Int? {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(self - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(self - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(self - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
