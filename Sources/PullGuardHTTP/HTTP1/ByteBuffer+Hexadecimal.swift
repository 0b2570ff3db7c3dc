import NIOCore

extension ByteBuffer {
    /// `value` in lower-case hexadecimal digits, as a chunk size is written (both writers),
    /// without the string `String(_:radix:)` would make.
    mutating func writeHexadecimal(_ value: Int) {
        precondition(value >= 0)
        let digits = Swift.max(1, (Int.bitWidth - value.leadingZeroBitCount + 3) / 4)
        writeWithUnsafeMutableBytes(minimumWritableBytes: digits) { storage in
            var rest = value
            for index in stride(from: digits - 1, through: 0, by: -1) {
                let digit = UInt8(rest & 0xF)
                storage[index] = digit < 10 ? digit + UInt8(ascii: "0") : digit - 10 + UInt8(ascii: "a")
                rest >>= 4
            }
            return digits
        }
    }
}
