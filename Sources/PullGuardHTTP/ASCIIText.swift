/// The few ASCII tests header handling needs, on bytes and on text. Header values
/// are checked on their bytes on the hot path (no `Character` iteration), so the byte
/// and text forms of each rule live side by side here.
extension UInt8 {
    /// SP or HTAB: the optional whitespace around header values and list tokens.
    var isSpaceOrTab: Bool { self == UInt8(ascii: " ") || self == UInt8(ascii: "\t") }
    var isASCIIUppercase: Bool { self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z") }
    var isASCIIDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
    var asciiLowercased: UInt8 { isASCIIUppercase ? self + 32 : self }
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

/// The same rules over a run of bytes, for the upstream codec: the request writer checks
/// what it writes with them, the response parser what it reads.
extension UnsafeRawBufferPointer {
    /// A token (`1*tchar`): a method or a header name.
    var isToken: Bool {
        guard !isEmpty else { return false }
        for byte in self where !byte.isTokenByte { return false }
        return true
    }

    /// Every byte may stand in a field value (`isFieldValueByte`). Eight bytes at a time:
    /// a word with no byte below 0x20 and none equal to 0x7F is passed whole, and only a
    /// word that may hold one (HTAB is below 0x20 and allowed) is looked at byte by byte.
    /// Values are most of a head's bytes (certificate fields, ids), and the byte loop
    /// cost ~10 instructions a byte.
    var isFieldValue: Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var index = 0
        if let base = baseAddress {
            while index + 8 <= count {
                let word = (base + index).loadUnaligned(as: UInt64.self)
                // Exact for "some byte is below 0x20" and "some byte is 0x7F": a byte with
                // its high bit set (obs-text) never raises either flag.
                let below = (word &- ones &* 0x20) & ~word & highs
                let xored = word ^ (ones &* 0x7F)
                let del = (xored &- ones) & ~xored & highs
                if below | del != 0 {
                    for offset in index..<(index + 8) where !self[offset].isFieldValueByte { return false }
                }
                index += 8
            }
        }
        while index < count {
            guard self[index].isFieldValueByte else { return false }
            index += 1
        }
        return true
    }
}
