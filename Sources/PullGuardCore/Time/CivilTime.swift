/// A moment as a UTC calendar date and time of day, computed without Foundation's
/// `Calendar` or `DateFormatter`: no locale or time zone can change it, and it costs no
/// objects on the paths that format a date per connection or per request (the
/// `X-Client-Cert-Not-After` header, the access log's `time`).
public struct CivilTime: Sendable, Hashable {
    public var year: Int
    /// 1...12.
    public var month: Int
    /// 1...31.
    public var day: Int
    /// 0 = Sunday ... 6 = Saturday.
    public var weekday: Int
    public var hour: Int
    public var minute: Int
    public var second: Int

    /// - Parameter seconds: whole seconds since 1970-01-01T00:00:00Z (negative before it).
    public init(secondsSince1970 seconds: Int64) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        // Civil date from days since 1970-01-01 (proleptic Gregorian), H. Hinnant's algorithm.
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        year = Int(yearOfEra + era * 400 + (month <= 2 ? 1 : 0))
        weekday = Int(((days % 7) + 11) % 7)  // 1970-01-01 was a Thursday (index 4)
        hour = secondOfDay / 3600
        minute = secondOfDay % 3600 / 60
        second = secondOfDay % 60
    }
}

/// Writes fixed-width decimal digits into a byte buffer being filled, for the hand-made
/// date formats built on `CivilTime`.
public struct DigitWriter {
    public private(set) var count = 0
    private let out: UnsafeMutableBufferPointer<UInt8>

    public init(_ out: UnsafeMutableBufferPointer<UInt8>) {
        self.out = out
    }

    public mutating func put(_ byte: UInt8) {
        out[count] = byte
        count += 1
    }

    public mutating func put(_ text: StaticString) {
        text.withUTF8Buffer { for byte in $0 { put(byte) } }
    }

    /// `value` as exactly `width` digits, zero-padded (higher digits cut).
    public mutating func put(_ value: Int, width: Int) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        while divisor > 0 {
            put(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }
}
