import NIOCore
import NIOHTTP1

/// An upstream's response head as read: version, status, and each field as spans of the
/// head's own bytes.
///
/// Both downstream paths walk these bytes (`HeaderPolicy.forEachDownstreamResponseField`):
/// HTTP/2 copies the fields straight into its header block, HTTP/1.1 makes strings only for
/// the fields that go on. Made into `HTTPResponseHead` for every response, the head cost two
/// strings per field and the header array, read back once by the HTTP/2 path (~8% of an
/// HTTP/2 request's instructions, docs/performance.md).
public struct UpstreamResponseHead: Equatable, Sendable {
    public let version: HTTPVersion
    public let status: HTTPResponseStatus
    /// The header lines (the status line is not kept).
    private let bytes: ByteBuffer
    private let spans: [HeaderFieldSpan]

    init(version: HTTPVersion, status: HTTPResponseStatus, bytes: ByteBuffer, spans: [HeaderFieldSpan]) {
        self.version = version
        self.status = status
        self.bytes = bytes
        self.spans = spans
    }

    /// Calls `body` with each field's name and value, in order (values trimmed of the
    /// spaces and tabs around them).
    public func forEachField(_ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Void) {
        bytes.withUnsafeReadableBytes { raw in
            for span in spans {
                body(UnsafeRawBufferPointer(rebasing: raw[span.name]), UnsafeRawBufferPointer(rebasing: raw[span.value]))
            }
        }
    }

    /// Enough room for the fields written as `name: value` lines: the header lines' own
    /// length, plus a byte per field for a separator written without its space.
    var writtenFieldsCapacity: Int { bytes.readableBytes + spans.count }

    public var headers: HTTPHeaders {
        bytes.withUnsafeReadableBytes { HeaderFieldSpan.headers(spans, in: $0) }
    }

    public static func == (lhs: UpstreamResponseHead, rhs: UpstreamResponseHead) -> Bool {
        lhs.version == rhs.version && lhs.status == rhs.status && lhs.headers == rhs.headers
    }
}

/// One parsed response, as the parser hands it on.
public typealias UpstreamResponsePart = HTTPPart<UpstreamResponseHead, ByteBuffer>

/// A header field's name and value as offsets into the bytes it was parsed from.
struct HeaderFieldSpan: Equatable, Sendable {
    let name: Range<Int>
    let value: Range<Int>

    /// The fields as NIO's headers, their strings made from `bytes` (the bytes parsed).
    static func headers(_ spans: [HeaderFieldSpan], in bytes: UnsafeRawBufferPointer) -> HTTPHeaders {
        // Collected as pairs and wrapped once: `HTTPHeaders.add` checks every name for
        // non-ASCII bytes (a precondition), which the token check has done already.
        HTTPHeaders(spans.map {
            (String(decoding: UnsafeRawBufferPointer(rebasing: bytes[$0.name]), as: UTF8.self),
             String(decoding: UnsafeRawBufferPointer(rebasing: bytes[$0.value]), as: UTF8.self))
        })
    }
}

/// A complete response head (status line, header lines, the empty line), with the body
/// framing it states.
struct ParsedHead {
    enum Framing: Equatable {
        case chunked
        case length(Int)
        /// Neither field: the body runs until the upstream closes.
        case close
    }

    var head: UpstreamResponseHead
    var framing: Framing

    /// `head`: the head with its closing empty line; every line ends in `CRLF`
    /// (`LineScan` checked that). The result keeps the header lines' bytes (a slice).
    static func parse(_ head: ByteBuffer) -> Result<ParsedHead, HTTP1ResponseError> {
        head.withUnsafeReadableBytes { bytes in
            // `LineScan` saw to it that every LF follows a CR, not that every CR precedes an LF.
            guard let lineEnd = bytes.firstIndex(of: .carriageReturn, in: 0..<bytes.count), lineEnd + 1 < bytes.count,
                  bytes[lineEnd + 1] == .lineFeed else {
                return .failure(.malformedStatusLine)
            }
            let status: (version: HTTPVersion, code: Int)
            switch StatusLine.parse(UnsafeRawBufferPointer(rebasing: bytes[..<lineEnd])) {
            case .success(let parsed): status = parsed
            case .failure(let error): return .failure(error)
            }
            let fieldsStart = lineEnd + 2
            switch HeaderLines.parse(UnsafeRawBufferPointer(rebasing: bytes[fieldsStart...])) {
            case .failure(let error):
                return .failure(error)
            case .success(let lines):
                let framing: Framing
                switch (lines.contentLength, lines.transferEncoding) {
                case (.some, .some): return .failure(.lengthAndChunked)
                case (.some(let length), nil): framing = .length(length)
                case (nil, .some): framing = .chunked
                case (nil, nil): framing = .close
                }
                let fields = head.getSlice(at: head.readerIndex + fieldsStart, length: bytes.count - fieldsStart)!
                return .success(ParsedHead(
                    head: UpstreamResponseHead(version: status.version, status: HTTPResponseStatus(statusCode: status.code),
                                               bytes: fields, spans: lines.spans),
                    framing: framing))
            }
        }
    }
}

/// `HTTP/1.x SP 3DIGIT [ SP reason-phrase ]`. The reason phrase is checked and dropped,
/// as NIO's decoder dropped it: the client gets the standard one (HTTP/2 has none).
enum StatusLine {
    static func parse(_ line: UnsafeRawBufferPointer) -> Result<(version: HTTPVersion, code: Int), HTTP1ResponseError> {
        guard line.count >= 12, line[0] == UInt8(ascii: "H"), line[1] == UInt8(ascii: "T"), line[2] == UInt8(ascii: "T"),
              line[3] == UInt8(ascii: "P"), line[4] == UInt8(ascii: "/") else {
            return .failure(.malformedStatusLine)
        }
        guard line[5] == UInt8(ascii: "1"), line[6] == UInt8(ascii: "."),
              line[7] == UInt8(ascii: "0") || line[7] == UInt8(ascii: "1") else {
            return .failure(.unsupportedVersion)
        }
        guard line[8] == UInt8(ascii: " "), line[9].isASCIIDigit, line[10].isASCIIDigit, line[11].isASCIIDigit,
              line[9] != UInt8(ascii: "0") else {
            return .failure(.malformedStatusLine)
        }
        if line.count > 12 {
            guard line[12] == UInt8(ascii: " "), UnsafeRawBufferPointer(rebasing: line[13...]).isFieldValue else {
                return .failure(.malformedStatusLine)
            }
        }
        let code = Int(line[9] - 48) * 100 + Int(line[10] - 48) * 10 + Int(line[11] - 48)
        return .success((HTTPVersion(major: 1, minor: Int(line[7] - 48)), code))
    }
}

/// Header lines up to the empty line, as spans of their bytes, with the framing fields
/// checked on the way (one pass).
struct HeaderLines {
    private(set) var spans: [HeaderFieldSpan] = []
    var contentLength: Int?
    /// `Transfer-Encoding: chunked` was present (any other coding is an error).
    var transferEncoding: Void?

    private static let chunked = HeaderNameMatcher(["chunked"])

    /// `bytes` start with the first header line; the spans are offsets into them.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<HeaderLines, HTTP1ResponseError> {
        var lines = HeaderLines()
        // Room for a typical response's fields at once, instead of regrowing three times.
        lines.spans.reserveCapacity(12)
        var start = 0
        while start < bytes.count {
            guard let end = bytes.firstIndex(of: .carriageReturn, in: start..<bytes.count), end + 1 < bytes.count,
                  bytes[end + 1] == .lineFeed else {
                return .failure(.malformedHeader)
            }
            if end == start { break }
            // A line starting with SP/HTAB (obs-fold) fails here: neither is a token byte.
            guard let colon = bytes.firstIndex(of: UInt8(ascii: ":"), in: start..<end) else {
                return .failure(.malformedHeader)
            }
            let name = UnsafeRawBufferPointer(rebasing: bytes[start..<colon])
            guard name.isToken else { return .failure(.malformedHeader) }
            var valueStart = colon + 1
            var valueEnd = end
            while valueStart < valueEnd, bytes[valueStart].isSpaceOrTab { valueStart += 1 }
            while valueEnd > valueStart, bytes[valueEnd - 1].isSpaceOrTab { valueEnd -= 1 }
            let value = UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd])
            guard value.isFieldValue else { return .failure(.malformedHeader) }
            if let error = lines.noteFraming(name: name, value: value) { return .failure(error) }
            lines.spans.append(HeaderFieldSpan(name: start..<colon, value: valueStart..<valueEnd))
            start = end + 2
        }
        return .success(lines)
    }

    private mutating func noteFraming(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> HTTP1ResponseError? {
        if RequestFraming.contentLengthName.matches(utf8: name) {
            guard !value.isEmpty, value.count <= 18, value.allSatisfy(\.isASCIIDigit) else { return .invalidContentLength }
            let length = value.reduce(0) { $0 * 10 + Int($1 - 48) }
            if let contentLength, contentLength != length { return .conflictingContentLengths }
            contentLength = length
        } else if RequestFraming.transferEncodingName.matches(utf8: name) {
            // The value is trimmed already: exactly `chunked`, in any case.
            guard transferEncoding == nil, Self.chunked.matches(utf8: value) else {
                return .unsupportedTransferCoding
            }
            transferEncoding = ()
        }
        return nil
    }
}
