#if canImport(Glibc)
import Glibc
#endif

/// Finds where a section of header lines ends (the empty line), across reads.
///
/// Only `CRLF` ends a line: a bare `LF` is an error here, at once, rather than a line
/// ending some parsers accept and others do not (that difference is how a response
/// is read one way by PullGuard and another way by whoever reads it next).
struct LineScan: Sendable {
    /// Bytes already looked at, and where the current line began (both relative to the
    /// section's first byte).
    private(set) var scanned = 0
    private var lineStart = 0

    enum Outcome: Equatable {
        /// The offset just past the empty line that closes the section.
        case complete(Int)
        case incomplete
        case bareLineFeed
    }

    mutating func advance(through bytes: UnsafeRawBufferPointer) -> Outcome {
        var index = scanned
        while index < bytes.count {
            if bytes[index] == .lineFeed {
                guard index > lineStart, bytes[index - 1] == .carriageReturn else { return .bareLineFeed }
                if index - lineStart == 1 { return .complete(index + 1) }
                lineStart = index + 1
            }
            index += 1
        }
        scanned = index
        return .incomplete
    }
}

/// A chunk-size line: `1*HEXDIG [ BWS ";" chunk-ext ] CRLF`. Extensions are skipped
/// (nobody forwards them) after a check for control bytes.
enum ChunkLine: Equatable {
    case incomplete
    case invalid
    /// The chunk's size, and the line's length with its `CRLF`.
    case size(Int, length: Int)

    static func parse(_ bytes: UnsafeRawBufferPointer) -> ChunkLine {
        var index = 0
        var size = 0
        while index < bytes.count, let digit = bytes[index].hexDigitValue {
            // 2^59 and beyond is no chunk anyone sends; it is an overflow attempt.
            guard size < 1 << 55 else { return .invalid }
            size = size << 4 | digit
            index += 1
        }
        guard index < bytes.count else { return .incomplete }
        guard index > 0 else { return .invalid }
        while index < bytes.count, bytes[index].isSpaceOrTab { index += 1 }
        guard index < bytes.count else { return .incomplete }
        if bytes[index] == UInt8(ascii: ";") {
            while index < bytes.count, bytes[index] != .carriageReturn {
                guard bytes[index].isFieldValueByte else { return .invalid }
                index += 1
            }
            guard index < bytes.count else { return .incomplete }
        }
        guard bytes[index] == .carriageReturn else { return .invalid }
        guard index + 1 < bytes.count else { return .incomplete }
        guard bytes[index + 1] == .lineFeed else { return .invalid }
        return .size(size, length: index + 2)
    }
}

extension UnsafeRawBufferPointer {
    /// The offset of the first `byte` within `range`, by `memchr`: the generic
    /// `firstIndex(of:)` on a slice of raw bytes cost ~14 instructions a byte (callgrind).
    func firstIndex(of byte: UInt8, in range: Range<Int>) -> Int? {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range outside the buffer")
        guard let base = baseAddress, !range.isEmpty,
              let found = memchr(base + range.lowerBound, Int32(byte), range.count) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }
}
