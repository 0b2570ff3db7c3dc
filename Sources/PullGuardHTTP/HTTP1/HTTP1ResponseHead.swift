import NIOHTTP1

/// A complete response head (status line, header lines, the empty line) read into
/// NIO's value, with the body framing it states.
struct ParsedHead {
    enum Framing: Equatable {
        case chunked
        case length(Int)
        /// Neither field: the body runs until the upstream closes.
        case close
    }

    var head: HTTPResponseHead
    var framing: Framing

    /// `bytes`: the head with its closing empty line; every line ends in `CRLF`
    /// (`LineScan` checked that).
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<ParsedHead, HTTP1ResponseError> {
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
        switch HeaderLines.parse(bytes, from: lineEnd + 2) {
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
            let head = HTTPResponseHead(version: status.version, status: HTTPResponseStatus(statusCode: status.code),
                                        headers: lines.headers)
            return .success(ParsedHead(head: head, framing: framing))
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

/// Header lines up to the empty line, as `HTTPHeaders`, with the framing fields checked
/// on the way (one pass).
struct HeaderLines {
    /// Collected as pairs and wrapped once: `HTTPHeaders.add` checks every name for
    /// non-ASCII bytes (a precondition), which the token check here has done already.
    private var fields: [(String, String)] = []
    var headers: HTTPHeaders { HTTPHeaders(fields) }
    var contentLength: Int?
    /// `Transfer-Encoding: chunked` was present (any other coding is an error).
    var transferEncoding: Void?

    private static let chunked = HeaderNameMatcher(["chunked"])

    /// `from`: the offset of the first header line.
    static func parse(_ bytes: UnsafeRawBufferPointer, from: Int) -> Result<HeaderLines, HTTP1ResponseError> {
        var lines = HeaderLines()
        // Room for a typical response's fields at once, instead of regrowing three times.
        lines.fields.reserveCapacity(12)
        var start = from
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
            lines.fields.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
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
