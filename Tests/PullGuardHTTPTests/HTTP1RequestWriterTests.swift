import NIOCore
import NIOHTTP1
import Testing
@testable import PullGuardHTTP

/// The bytes of a request as the upstream receives them.
@Suite struct HTTP1RequestWriterTests {
    let allocator = ByteBufferAllocator()

    func head(_ method: HTTPMethod = .GET, _ uri: String = "/a?b=c", _ headers: [(String, String)]) throws -> (String, HTTP1RequestWriter) {
        var writer = HTTP1RequestWriter()
        var buffer = allocator.buffer(capacity: 0)
        try writer.writeHead(HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: HTTPHeaders(headers)),
                             into: &buffer)
        return (String(buffer: buffer), writer)
    }

    @Test func headIsWrittenAsGiven() throws {
        let (text, writer) = try head(.GET, "/a?b=c", [("Host", "a.example"), ("X-Client-Verify", "SUCCESS")])
        #expect(text == "GET /a?b=c HTTP/1.1\r\nHost: a.example\r\nX-Client-Verify: SUCCESS\r\n\r\n")
        #expect(writer.end(allocator: allocator) == nil)
    }

    @Test func chunkedBodyIsFramedChunkByChunk() throws {
        let (_, writer) = try head(.POST, "/", [("Host", "a"), ("Transfer-Encoding", "chunked")])
        let chunk = try writer.body(ByteBuffer(string: String(repeating: "z", count: 26)), allocator: allocator)
        #expect(String(buffer: chunk) == "1a\r\n" + String(repeating: "z", count: 26) + "\r\n")
        // An empty part is not the last chunk.
        #expect(try writer.body(ByteBuffer(), allocator: allocator).readableBytes == 0)
        #expect(writer.end(allocator: allocator).map { String(buffer: $0) } == "0\r\n\r\n")
    }

    @Test func lengthDelimitedBodyGoesAsItIs() throws {
        let (_, writer) = try head(.PUT, "/", [("Host", "a"), ("Content-Length", "5")])
        #expect(String(buffer: try writer.body(ByteBuffer(string: "hello"), allocator: allocator)) == "hello")
        #expect(writer.end(allocator: allocator) == nil)
    }

    /// A bodiless POST goes with no framing at all (NIO's encoder added `chunked`).
    @Test func aBodyWithoutFramingIsRefused() throws {
        let (text, writer) = try head(.POST, "/", [("Host", "a")])
        #expect(text == "POST / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(throws: HTTP1RequestError.bodyWithoutFraming) { try writer.body(ByteBuffer(string: "x"), allocator: allocator) }
    }

    /// The connection's identity fields go after the request's own, before the blank line.
    @Test func linesGoAfterTheHeadsOwnFields() throws {
        var writer = HTTP1RequestWriter()
        var buffer = allocator.buffer(capacity: 0)
        let lines = HTTP1FieldLines([("X-Client-Verify", "SUCCESS"), ("X-Client-Cert-Subject", "CN=a, O=b")])
        try writer.writeHead(HTTPRequestHead(version: .http1_1, method: .POST, uri: "/",
                                             headers: ["Host": "a", "Content-Length": "2"]),
                             appending: lines, into: &buffer)
        #expect(String(buffer: buffer) == "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n"
            + "X-Client-Verify: SUCCESS\r\nX-Client-Cert-Subject: CN=a, O=b\r\n\r\n")
        #expect(String(buffer: try writer.body(ByteBuffer(string: "hi"), allocator: allocator)) == "hi")
    }

    /// A field the lines cannot carry refuses every head written with them, named; a
    /// framing name is refused too, since the writer frames by the head's own fields.
    @Test(arguments: [
        ([("X-Ok", "1"), ("X-Subject", "CN=a\r\nX-Injected: 1")], "X-Subject"),
        ([("X-Nul", "a\u{0}")], "X-Nul"),
        ([("Bad Name", "a")], "Bad Name"),
        ([("", "a")], ""),
        ([("content-length", "5")], "content-length"),
        ([("X-Ok", "1"), ("Transfer-Encoding", "chunked")], "Transfer-Encoding"),
    ])
    func linesThatCannotBeWrittenRefuseTheHead(fields: [(String, String)], refused: String) {
        let lines = HTTP1FieldLines(fields)
        #expect(lines.refusedName == refused)
        var writer = HTTP1RequestWriter()
        var buffer = allocator.buffer(capacity: 0)
        #expect(throws: HTTP1RequestError.invalidHeader(refused)) {
            try writer.writeHead(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: ["Host": "a"]),
                                 appending: lines, into: &buffer)
        }
        #expect(buffer.readableBytes == 0)
    }

    @Test(arguments: [
        (HTTPMethod.RAW(value: "GE T"), "/", [("Host", "a")], HTTP1RequestError.invalidMethod),
        (.GET, "/a b", [("Host", "a")], .invalidTarget),
        (.GET, "/a\r\nX: y", [("Host", "a")], .invalidTarget),
        (.GET, "", [("Host", "a")], .invalidTarget),
        (.GET, "/", [("Host", "a\r\nX-Injected: 1")], .invalidHeader("Host")),
        (.GET, "/", [("X-Subject", "CN=a\nb")], .invalidHeader("X-Subject")),
        (.GET, "/", [("X-Nul", "a\u{0}")], .invalidHeader("X-Nul")),
        (.GET, "/", [("Bad Name", "a")], .invalidHeader("Bad Name")),
        (.GET, "/", [("Bad:Name", "a")], .invalidHeader("Bad:Name")),
    ])
    func refusals(method: HTTPMethod, uri: String, headers: [(String, String)], error: HTTP1RequestError) {
        #expect(throws: error) { try head(method, uri, headers) }
    }
}

extension HTTP1RequestWriterTests {
    /// The head goes into space reserved for exactly its bytes: every length from an
    /// empty buffer, so a miscount shows as a bounds trap (debug) or a wrong head.
    @Test func everyHeadLengthFitsTheSpaceReserved() throws {
        for length in 0..<300 {
            var writer = HTTP1RequestWriter()
            var buffer = ByteBuffer()
            let value = String(repeating: "v", count: length)
            try writer.writeHead(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: ["X-Pad": value]),
                                 into: &buffer)
            #expect(String(buffer: buffer) == "GET / HTTP/1.1\r\nX-Pad: \(value)\r\n\r\n")
        }
    }
}

extension HTTP1RequestWriterTests {
    /// Values are checked eight bytes at a time: every byte value, at every position of
    /// a word and of the tail, is accepted or refused exactly as the byte rule says.
    @Test func everyByteIsJudgedAloneWhereverItStands() throws {
        for position in 0..<19 {
            for byte in UInt8.min...UInt8.max {
                var value = [UInt8](repeating: UInt8(ascii: "v"), count: 19)
                value[position] = byte
                let allowed = byte == 0x09 || (byte >= 0x20 && byte != 0x7F)
                let checked = value.withUnsafeBytes { $0.isFieldValue }
                #expect(checked == allowed, "byte \(byte) at \(position)")
            }
        }
    }

    @Test func framingIsReadFromTheNamesAsWritten() throws {
        let (_, chunked) = try head(.POST, "/", [("Host", "a"), ("TRANSFER-ENCODING", "chunked")])
        #expect(chunked.end(allocator: allocator).map { String(buffer: $0) } == "0\r\n\r\n")
        let (_, length) = try head(.POST, "/", [("Content-LENGTH", "1")])
        #expect(String(buffer: try length.body(ByteBuffer(string: "x"), allocator: allocator)) == "x")
        // A name that only begins like a framing field frames nothing.
        let (_, neither) = try head(.POST, "/", [("Content-Length-X", "1"), ("Transfer-Encodings", "chunked")])
        #expect(throws: HTTP1RequestError.bodyWithoutFraming) { try neither.body(ByteBuffer(string: "x"), allocator: allocator) }
    }
}

extension HTTP1RequestWriterTests {
    /// The bit masks of `isTokenByte` against RFC 9110 §5.6.2's `tchar`, spelled out.
    @Test func tokenBytesAreExactlyTheTchars() {
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        for byte in UInt8.min...UInt8.max {
            #expect(byte.isTokenByte == tchar.contains(byte), "byte \(byte)")
        }
    }
}
