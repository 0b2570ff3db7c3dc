import NIOCore
import PullGuardCore
import Testing
@testable import PullGuardHTTP2

/// `http2.max_header_list_size` on what PullGuard receives. nghttp2 only advertises
/// SETTINGS_MAX_HEADER_LIST_SIZE; before the fix an 8 KiB block went through a 4096-byte
/// limit to the upstream (`HTTP2ProbeTests.oversizedHeaderBlockIsRefused`).
@Suite struct NGHTTP2HeaderListSizeTests {
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    static func frame(type: UInt8, flags: UInt8, stream: UInt32, _ payload: [UInt8]) -> [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags,
                UInt8(stream >> 24 & 0x7f), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff)]
            + payload
    }

    /// HPACK integer with an `bits`-bit prefix (RFC 7541 §5.1).
    static func integer(_ value: Int, bits: Int, first: UInt8 = 0) -> [UInt8] {
        let limit = (1 << bits) - 1
        if value < limit { return [first | UInt8(value)] }
        var bytes = [first | UInt8(limit)]
        var rest = value - limit
        while rest >= 128 {
            bytes.append(UInt8(rest % 128 + 128))
            rest /= 128
        }
        return bytes + [UInt8(rest)]
    }

    /// Literal fields without indexing, new names, no Huffman (RFC 7541 §6.2.2).
    static func block(_ fields: [(String, String)]) -> [UInt8] {
        var bytes: [UInt8] = []
        for (name, value) in fields {
            bytes.append(0x00)
            bytes += integer(name.utf8.count, bits: 7)
            bytes += Array(name.utf8)
            bytes += integer(value.utf8.count, bits: 7)
            bytes += Array(value.utf8)
        }
        return bytes
    }

    static func request(stream: UInt32, extra: [(String, String)] = []) -> [UInt8] {
        let fields = [(":method", "GET"), (":scheme", "https"), (":authority", "a.test"), (":path", "/")] + extra
        return frame(type: 0x1, flags: 0x5, stream: stream, block(fields))  // END_STREAM | END_HEADERS
    }

    /// (type, flags, stream) of every frame in `bytes`.
    static func frames(_ bytes: [UInt8]) -> [(type: UInt8, flags: UInt8, stream: UInt32)] {
        var found: [(UInt8, UInt8, UInt32)] = []
        var offset = 0
        while offset + 9 <= bytes.count {
            let length = Int(bytes[offset]) << 16 | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
            let stream = UInt32(bytes[offset + 5] & 0x7f) << 24 | UInt32(bytes[offset + 6]) << 16
                | UInt32(bytes[offset + 7]) << 8 | UInt32(bytes[offset + 8])
            found.append((bytes[offset + 3], bytes[offset + 4], stream))
            offset += 9 + length
        }
        return found
    }

    static func feed(_ session: NGHTTP2ServerSession, _ bytes: [UInt8]) throws -> [HTTP2SessionEvent] {
        try session.receive(ByteBuffer(bytes: bytes))
    }

    static func requestStreams(_ events: [HTTP2SessionEvent]) -> [Int32] {
        events.compactMap { if case .request(let stream, _, _) = $0 { stream } else { nil } }
    }

    @Test func blockOverTheLimitIsAnswered431AndNeverHandedOn() throws {
        let session = try NGHTTP2ServerSession(settings: HTTP2Settings(maxHeaderListSize: 4096))
        _ = try session.pendingOutput(allocator: ByteBufferAllocator())
        let big = (0..<8).map { ("x-big-\($0)", String(repeating: "v", count: 1024)) }
        let events = try Self.feed(session, Self.preface + Self.frame(type: 0x4, flags: 0, stream: 0, [])
                                   + Self.request(stream: 1, extra: big))
        #expect(Self.requestStreams(events).isEmpty)
        let output = try #require(try session.pendingOutput(allocator: ByteBufferAllocator()))
        let sent = Self.frames(Array(output.readableBytesView))
        // The 431: a HEADERS frame on stream 1 that ends it; no GOAWAY.
        #expect(sent.contains { $0.type == 0x1 && $0.stream == 1 && $0.flags & 0x1 != 0 }, "\(sent)")
        #expect(!sent.contains { $0.type == 0x7 }, "\(sent)")

        // The connection goes on, HPACK in step: the next request is handed on whole.
        let next = try Self.feed(session, Self.request(stream: 3, extra: [("x-small", "1")]))
        #expect(Self.requestStreams(next) == [3])
        var fields: [HTTP2HeaderField] = []
        for case .request(_, let received, _) in next { fields = received }
        #expect(fields.contains(HTTP2HeaderField(name: "x-small", value: "1")))
    }

    /// A request whose body is still to come (no END_STREAM) is answered 431 and then reset
    /// with NO_ERROR, so the client stops sending the body instead of the stream lingering.
    @Test func oversizedRequestWithABodyToComeIsAnsweredThenReset() throws {
        let session = try NGHTTP2ServerSession(settings: HTTP2Settings(maxHeaderListSize: 4096))
        _ = try session.pendingOutput(allocator: ByteBufferAllocator())
        let big = (0..<8).map { ("x-big-\($0)", String(repeating: "v", count: 1024)) }
        let fields = [(":method", "POST"), (":scheme", "https"), (":authority", "a.test"), (":path", "/")] + big
        let headers = Self.frame(type: 0x1, flags: 0x4, stream: 1, Self.block(fields))  // END_HEADERS only
        _ = try Self.feed(session, Self.preface + Self.frame(type: 0x4, flags: 0, stream: 0, []) + headers)
        let output = try #require(try session.pendingOutput(allocator: ByteBufferAllocator()))
        let sent = Self.frames(Array(output.readableBytesView)).filter { $0.stream == 1 }
        #expect(sent.map(\.type) == [0x1, 0x3], "HEADERS (431) then RST_STREAM: \(sent)")
        let rst = Array(output.readableBytesView).suffix(4)
        #expect(Array(rst) == [0, 0, 0, 0], "RST_STREAM error code NO_ERROR")
        // Body bytes the client had already sent are read and dropped; the connection goes on.
        let more = try Self.feed(session, Self.frame(type: 0x0, flags: 0x1, stream: 1, Array(repeating: 0x61, count: 100)))
        #expect(Self.requestStreams(more).isEmpty)
        #expect(Self.requestStreams(try Self.feed(session, Self.request(stream: 3))) == [3])
    }

    @Test func blockAtTheLimitIsHandedOn() throws {
        let session = try NGHTTP2ServerSession(settings: HTTP2Settings(maxHeaderListSize: 4096))
        // 4 pseudo-headers (~ 160 bytes with the 32-byte overheads) and 3 KiB: under 4096.
        let fields = (0..<3).map { ("x-f-\($0)", String(repeating: "v", count: 1000)) }
        let events = try Self.feed(session, Self.preface + Self.frame(type: 0x4, flags: 0, stream: 0, [])
                                   + Self.request(stream: 1, extra: fields))
        #expect(Self.requestStreams(events) == [1])
    }

    /// The limit counts decoded fields, not wire bytes: two one-byte references to a 3 KB
    /// HPACK table entry (a compression bomb in miniature) go past 4096.
    @Test func decodedSizeCountsNotWireSize() throws {
        let session = try NGHTTP2ServerSession(settings: HTTP2Settings(maxHeaderListSize: 4096))
        let pseudo = Self.block([(":method", "GET"), (":scheme", "https"), (":authority", "a.test"), (":path", "/")])
        // Literal with incremental indexing, new name (RFC 7541 §6.2.1): the entry becomes index 62.
        let name = Array("x-bomb".utf8), value = [UInt8](repeating: 0x76, count: 3000)
        var indexed: [UInt8] = [0x40]
        indexed += Self.integer(name.count, bits: 7) + name
        indexed += Self.integer(value.count, bits: 7) + value
        let first = try Self.feed(session, Self.preface + Self.frame(type: 0x4, flags: 0, stream: 0, [])
                                  + Self.frame(type: 0x1, flags: 0x5, stream: 1, pseudo + indexed))
        #expect(Self.requestStreams(first) == [1])
        let bomb = pseudo + [0xbe, 0xbe]  // indexed field 62, twice: 2 bytes on the wire, 6 KB decoded
        let second = try Self.feed(session, Self.frame(type: 0x1, flags: 0x5, stream: 3, bomb))
        #expect(Self.requestStreams(second).isEmpty)
        let output = try #require(try session.pendingOutput(allocator: ByteBufferAllocator()))
        #expect(Self.frames(Array(output.readableBytesView)).contains { $0.type == 0x1 && $0.stream == 3 })
    }
}
