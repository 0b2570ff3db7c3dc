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
