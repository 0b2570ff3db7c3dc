/// A deliberately strict HTTP/1.1 request parser, standing in for "what an upstream
/// actually parsed" in the smuggling tests: it reads a byte stream into requests the
/// way RFC 9112 says a recipient must, and refuses everything a lenient parser
/// might guess at (both `Content-Length` and `Transfer-Encoding`, two lengths, a
/// coding other than `chunked`, bare LF, obs-fold, space before the colon).
///
/// Counting the requests it finds is the point: a smuggled request shows up as a
/// second request the proxy never answered for.
public struct StrictHTTPRequestParser: Sendable {
    public struct Request: Sendable, Equatable, CustomStringConvertible {
        public var method: String
        public var target: String
        public var version: String
        /// In order, as sent.
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]
        public var trailers: [(name: String, value: String)]
        /// Exactly the bytes this request occupied on the wire.
        public var raw: [UInt8]

        /// Every value of `name`, compared case-insensitively (and not folding `_`).
        public func values(_ name: String) -> [String] {
            headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
        }

        public var bodyText: String { String(decoding: body, as: UTF8.self) }

        public static func == (lhs: Request, rhs: Request) -> Bool { lhs.raw == rhs.raw }

        /// The request as it was on the wire (test failure messages).
        public var description: String { String(decoding: raw, as: UTF8.self) }
    }

    public struct Failure: Error, Sendable, CustomStringConvertible, Equatable {
        public var reason: String
        public var description: String { "strict parser: \(reason)" }
    }

    /// The complete requests at the start of `bytes`, and how many bytes they used;
    /// an incomplete request at the end is left for more bytes. Throws on anything
    /// ambiguous or malformed.
    public static func parse(_ bytes: [UInt8]) throws -> (requests: [Request], consumed: Int) {
        var requests: [Request] = []
        var offset = 0
        while offset < bytes.count {
            guard let (request, end) = try parseOne(bytes, from: offset) else { break }
            requests.append(request)
            offset = end
        }
        return (requests, offset)
    }

    /// Parses a whole stream that must consist of complete requests only.
    public static func parseAll(_ bytes: [UInt8]) throws -> [Request] {
        let (requests, consumed) = try parse(bytes)
        guard consumed == bytes.count else {
            throw Failure(reason: "\(bytes.count - consumed) bytes after the last complete request")
        }
        return requests
    }

    private static func fail(_ reason: String) -> Failure { Failure(reason: reason) }

    /// nil: incomplete.
    private static func parseOne(_ bytes: [UInt8], from start: Int) throws -> (Request, Int)? {
        var cursor = start
        guard let requestLine = try line(bytes, &cursor) else { return nil }
        let parts = requestLine.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty,
              parts[0].allSatisfy(isTokenByte), parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw fail("bad request line '\(String(decoding: requestLine, as: UTF8.self))'")
        }
        let version = String(decoding: parts[2], as: UTF8.self)
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else { throw fail("bad version '\(version)'") }
        guard let headers = try fields(bytes, &cursor) else { return nil }

        let lengths = headers.filter { $0.name.lowercased() == "content-length" }
        let codings = headers.filter { $0.name.lowercased() == "transfer-encoding" }
        var body: [UInt8] = []
        var trailers: [(name: String, value: String)] = []
        if !lengths.isEmpty && !codings.isEmpty { throw fail("both Content-Length and Transfer-Encoding") }
        if lengths.count > 1 { throw fail("\(lengths.count) Content-Length fields") }
        if !codings.isEmpty {
            guard codings.count == 1, codings[0].value.lowercased() == "chunked" else {
                throw fail("Transfer-Encoding '\(codings.map(\.value).joined(separator: "|"))'")
            }
            while true {
                guard let sizeLine = try line(bytes, &cursor) else { return nil }
                let sizeText = sizeLine.prefix { $0 != UInt8(ascii: ";") }
                guard !sizeText.isEmpty, sizeText.count <= 15,
                      let size = Int(String(decoding: sizeText, as: UTF8.self), radix: 16) else {
                    throw fail("bad chunk size '\(String(decoding: sizeLine, as: UTF8.self))'")
                }
                if size == 0 {
                    guard let fields = try fields(bytes, &cursor) else { return nil }
                    trailers = fields
                    break
                }
                guard cursor + size + 2 <= bytes.count else { return nil }
                body += bytes[cursor..<(cursor + size)]
                cursor += size
                guard bytes[cursor] == 0x0D, bytes[cursor + 1] == 0x0A else { throw fail("chunk not followed by CRLF") }
                cursor += 2
            }
        } else if let length = lengths.first {
            guard !length.value.isEmpty, length.value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let count = Int(length.value) else {
                throw fail("Content-Length '\(length.value)'")
            }
            guard cursor + count <= bytes.count else { return nil }
            body = Array(bytes[cursor..<(cursor + count)])
            cursor += count
        }
        let request = Request(method: String(decoding: parts[0], as: UTF8.self),
                              target: String(decoding: parts[1], as: UTF8.self), version: version,
                              headers: headers, body: body, trailers: trailers, raw: Array(bytes[start..<cursor]))
        return (request, cursor)
    }

    /// Header or trailer fields up to and including the empty line; nil: incomplete.
    private static func fields(_ bytes: [UInt8], _ cursor: inout Int) throws -> [(name: String, value: String)]? {
        var result: [(name: String, value: String)] = []
        while true {
            guard let fieldLine = try line(bytes, &cursor) else { return nil }
            if fieldLine.isEmpty { return result }
            guard let colon = fieldLine.firstIndex(of: UInt8(ascii: ":")) else {
                throw fail("field line without ':'")
            }
            let name = fieldLine[..<colon]
            guard !name.isEmpty, name.allSatisfy(isTokenByte) else {
                throw fail("bad field name '\(String(decoding: name, as: UTF8.self))' (obs-fold or space before ':')")
            }
            var value = fieldLine[(colon + 1)...]
            while let first = value.first, first == 0x20 || first == 0x09 { value = value.dropFirst() }
            while let last = value.last, last == 0x20 || last == 0x09 { value = value.dropLast() }
            guard value.allSatisfy({ $0 == 0x09 || $0 >= 0x20 && $0 != 0x7F }) else { throw fail("control byte in a value") }
            result.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
    }

    /// The next CRLF-terminated line without its CRLF; nil: incomplete. A bare LF or CR is refused.
    private static func line(_ bytes: [UInt8], _ cursor: inout Int) throws -> ArraySlice<UInt8>? {
        var index = cursor
        while index < bytes.count {
            switch bytes[index] {
            case 0x0D:
                guard index + 1 < bytes.count else { return nil }
                guard bytes[index + 1] == 0x0A else { throw fail("bare CR") }
                let line = bytes[cursor..<index]
                cursor = index + 2
                return line
            case 0x0A:
                throw fail("bare LF")
            default:
                index += 1
            }
        }
        return nil
    }

    /// RFC 9110 tchar.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
