/// Strict text forms of IPv4 and IPv6 addresses, as numbers (most significant bit first).
///
/// Written here rather than taken from `inet_pton` so that what a config accepts is the
/// same on every platform and is tested as a value: glibc's `inet_aton` takes `10.1`
/// and octal `010.0.0.1`, which an allow-list must refuse rather than read differently
/// from the person who wrote it.
enum IPAddressText {
    /// Four decimal parts 0...255, no leading zeros.
    static func ipv4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard let byte = ClientCIDR.decimal(part, maxDigits: 3), byte <= 255 else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }

    /// RFC 4291 §2.2 text: eight groups of 1-4 hex digits, one `::` for a run of zero
    /// groups, and an optional dotted IPv4 tail (`::ffff:192.0.2.7`). No zone index.
    static func ipv6(_ text: Substring) -> UInt128? {
        var groups: [UInt16]
        if let gap = text.firstRange(of: "::") {
            guard let head = Self.groups(text[..<gap.lowerBound], ipv4Tail: false),
                  let tail = Self.groups(text[gap.upperBound...], ipv4Tail: true),
                  head.count + tail.count <= 7 else { return nil }
            groups = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard let all = Self.groups(text, ipv4Tail: true), all.count == 8 else { return nil }
            groups = all
        }
        return groups.reduce(UInt128(0)) { $0 << 16 | UInt128($1) }
    }

    /// Colon-separated groups; empty text is no groups. Fails on an empty group (so a
    /// second `::` fails here) or anything but hex digits.
    private static func groups(_ text: Substring, ipv4Tail: Bool) -> [UInt16]? {
        if text.isEmpty { return [] }
        let pieces = text.split(separator: ":", omittingEmptySubsequences: false)
        var groups: [UInt16] = []
        for (index, piece) in pieces.enumerated() {
            if ipv4Tail, index == pieces.count - 1, piece.contains(".") {
                guard let ipv4 = ipv4(piece) else { return nil }
                groups += [UInt16(ipv4 >> 16), UInt16(ipv4 & 0xffff)]
                continue
            }
            guard (1...4).contains(piece.count), piece.allSatisfy(\.isHexDigit), piece.allSatisfy(\.isASCII),
                  let group = UInt16(piece, radix: 16) else { return nil }
            groups.append(group)
        }
        return groups
    }

    static func format(ipv4 value: UInt32) -> String {
        (0..<4).map { String((value >> (24 - 8 * $0)) & 0xff) }.joined(separator: ".")
    }

    /// RFC 5952: lower-case hex, the longest run (first if tied) of two or more zero groups as `::`.
    static func format(ipv6 value: UInt128) -> String {
        let groups = (0..<8).map { UInt16(truncatingIfNeeded: value >> (112 - 16 * $0)) }
        var best: Range<Int>?
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else { index += 1; continue }
            var end = index
            while end < 8, groups[end] == 0 { end += 1 }
            if end - index >= 2, end - index > (best?.count ?? 0) { best = index..<end }
            index = end
        }
        let hex = groups.map { String($0, radix: 16) }
        guard let best else { return hex.joined(separator: ":") }
        return hex[..<best.lowerBound].joined(separator: ":") + "::" + hex[best.upperBound...].joined(separator: ":")
    }
}
