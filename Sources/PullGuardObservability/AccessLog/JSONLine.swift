import PullGuardCore

/// One JSON object written field by field into bytes, for the access log.
///
/// Hand-made rather than `JSONEncoder`: a line is written per request on the event loop,
/// and the encoder (a `Codable` walk, a dictionary per object, `Data` out) cost more than
/// the 10% of a keep-alive request the access log may add (docs/performance.md). The output
/// is strict RFC 8259: every string is escaped (`"`, `\`, and all control characters,
/// CR and LF included, so a client's path can never end a line or forge another one);
/// Swift strings are valid Unicode, so the UTF-8 written is valid too.
public struct JSONLine {
    public private(set) var bytes: [UInt8]
    private var first = true

    public init(capacity: Int = 1024) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    /// Starts with fields already encoded (`fragment`: `"k":v,"k2":v2` without braces).
    public init(capacity: Int = 1024, fragment: [UInt8]) {
        self.init(capacity: capacity)
        appendFragment(fragment)
    }

    /// Appends fields already encoded by another `JSONLine` (its `fragment`).
    public mutating func appendFragment(_ fragment: [UInt8]) {
        guard !fragment.isEmpty else { return }
        separate()
        bytes.append(contentsOf: fragment)
    }

    /// The fields so far without the braces, to be put into other lines.
    public var fragment: [UInt8] { Array(bytes.dropFirst()) }

    /// The finished object and its newline.
    public mutating func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    public mutating func string(_ key: StaticString, _ value: String?) {
        self.key(key)
        guard let value else { return null() }
        Self.appendQuoted(value, to: &bytes)
    }

    public mutating func int(_ key: StaticString, _ value: Int?) {
        self.key(key)
        guard let value else { return null() }
        appendDecimal(value)
    }

    public mutating func bool(_ key: StaticString, _ value: Bool) {
        self.key(key)
        append(value ? "true" : "false")
    }

    /// A duration in milliseconds with microsecond precision (`12.345`); null when unknown.
    public mutating func milliseconds(_ key: StaticString, nanoseconds: Int64?) {
        self.key(key)
        guard let nanoseconds else { return null() }
        let micros = max(0, nanoseconds / 1_000)
        appendDecimal(Int(micros / 1_000))
        bytes.append(UInt8(ascii: "."))
        let fraction = Int(micros % 1_000)
        bytes.append(UInt8(ascii: "0") + UInt8(fraction / 100))
        bytes.append(UInt8(ascii: "0") + UInt8(fraction / 10 % 10))
        bytes.append(UInt8(ascii: "0") + UInt8(fraction % 10))
    }

    /// RFC 3339 in UTC with milliseconds: `2026-12-01T19:03:14.123Z`.
    public mutating func timestamp(_ key: StaticString, secondsSince1970 seconds: Int64, nanoseconds: Int) {
        self.key(key)
        let time = CivilTime(secondsSince1970: seconds)
        bytes.append(UInt8(ascii: "\""))
        let stamp = String(unsafeUninitializedCapacity: 24) { out in
            var writer = DigitWriter(out)
            writer.put(min(max(time.year, 0), 9999), width: 4)
            writer.put("-")
            writer.put(time.month, width: 2)
            writer.put("-")
            writer.put(time.day, width: 2)
            writer.put("T")
            writer.put(time.hour, width: 2)
            writer.put(":")
            writer.put(time.minute, width: 2)
            writer.put(":")
            writer.put(time.second, width: 2)
            writer.put(".")
            writer.put(nanoseconds / 1_000_000, width: 3)
            writer.put("Z")
            return writer.count
        }
        bytes.append(contentsOf: stamp.utf8)
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func key(_ key: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    private mutating func separate() {
        if first {
            first = false
        } else {
            bytes.append(UInt8(ascii: ","))
        }
    }

    private mutating func null() { append("null") }

    private mutating func append(_ literal: StaticString) {
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    private mutating func appendDecimal(_ value: Int) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            return appendDecimal(value == Int.min ? Int.max : -value)
        }
        if value >= 10 { appendDecimal(value / 10) }
        bytes.append(UInt8(ascii: "0") + UInt8(value % 10))
    }

    /// `value` as a JSON string: quoted, with `"`, `\` and control characters escaped.
    static func appendQuoted(_ value: String, to bytes: inout [UInt8]) {
        var value = value
        // On the string's contiguous UTF-8: iterating a `String.UTF8View` byte by byte was
        // most of a line's cost. Almost every value needs no escape and is copied whole.
        value.withUTF8 { utf8 in
            bytes.append(UInt8(ascii: "\""))
            if !utf8.contains(where: needsEscape) {
                bytes.append(contentsOf: utf8)
            } else {
                for byte in utf8 { appendEscaped(byte, to: &bytes) }
            }
            bytes.append(UInt8(ascii: "\""))
        }
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private static func appendEscaped(_ byte: UInt8, to bytes: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"):
            bytes.append(UInt8(ascii: "\\"))
            bytes.append(byte)
        case 0x0A:
            bytes.append(UInt8(ascii: "\\"))
            bytes.append(UInt8(ascii: "n"))
        case 0x0D:
            bytes.append(UInt8(ascii: "\\"))
            bytes.append(UInt8(ascii: "r"))
        case 0x09:
            bytes.append(UInt8(ascii: "\\"))
            bytes.append(UInt8(ascii: "t"))
        case 0x00..<0x20, 0x7F:
            let hex: StaticString = "0123456789abcdef"
            bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            hex.withUTF8Buffer { digits in
                bytes.append(digits[Int(byte >> 4)])
                bytes.append(digits[Int(byte & 0x0F)])
            }
        default:
            bytes.append(byte)
        }
    }
}
