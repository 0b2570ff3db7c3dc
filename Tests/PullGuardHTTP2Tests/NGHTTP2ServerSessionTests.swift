import NIOCore
import PullGuardCore
import Testing
import PullGuardTestSupport
@testable import PullGuardHTTP2

/// The session owner in memory: raw frames in, events and frames out; every limit.
@Suite struct NGHTTP2ServerSessionTests {
    let allocator = ByteBufferAllocator()

    func session(_ settings: HTTP2Settings = HTTP2Settings()) throws -> NGHTTP2ServerSession {
        let session = try NGHTTP2ServerSession(settings: settings)
        _ = try session.pendingOutput(allocator: allocator)  // the server's SETTINGS
        return session
    }

    func feed(_ session: NGHTTP2ServerSession, _ bytes: [UInt8]) throws(HTTP2SessionError) -> [HTTP2SessionEvent] {
        try session.receive(ByteBuffer(bytes: bytes))
    }

    func output(_ session: NGHTTP2ServerSession) throws -> [HTTP2Frames.Frame] {
        HTTP2Frames.parse(try session.pendingOutput(allocator: allocator))
    }

    let opening = HTTP2Frames.preface + HTTP2Frames.settings()

    @Test func aRequestIsOneEventAfterItsHeaderBlock() throws {
        let session = try session()
        let events = try feed(session, opening + HTTP2Frames.headers(stream: 1, HTTP2Frames.get))
        #expect(events == [.request(stream: 1, fields: HTTP2Frames.get.map { HTTP2HeaderField(name: $0.0, value: $0.1) },
                                    endStream: true)])
    }

    @Test func aBadPrefaceEndsTheSession() throws {
        let session = try session()
        #expect(throws: HTTP2SessionError.self) { try feed(session, Array("GET / HTTP/1.1\r\n\r\n".utf8)) }
    }

    @Test(arguments: [
        [("X-Upper", "1")],
        [("connection", "keep-alive")],
        [("te", "gzip")],
        [("x-crlf", "a\r\nb")],
    ])
    func malformedFieldsResetTheStream(extra: [(String, String)]) throws {
        let session = try session()
        let events = try feed(session, opening + HTTP2Frames.headers(stream: 1, HTTP2Frames.get + extra))
        #expect(!events.contains { if case .request = $0 { true } else { false } }, "\(extra) reached PullGuard")
        let resets = try output(session).filter { $0.type == 0x3 }
        #expect(resets.first?.errorCode == 0x1, "PROTOCOL_ERROR")
    }

    @Test func aMissingPathResetsTheStream() throws {
        let session = try session()
        let events = try feed(session, opening + HTTP2Frames.headers(stream: 1, Array(HTTP2Frames.get.dropLast())))
        #expect(events.allSatisfy { if case .request = $0 { false } else { true } })
        #expect(try output(session).contains { $0.type == 0x3 && $0.errorCode == 0x1 })
    }

    @Test func contentLengthMustMatchTheBody() throws {
        let session = try session()
        let post = [(":method", "POST"), (":scheme", "https"), (":authority", "a.example"), (":path", "/"), ("content-length", "10")]
        _ = try feed(session, opening + HTTP2Frames.headers(stream: 1, post, endStream: false))
        _ = try feed(session, HTTP2Frames.data(stream: 1, [1, 2, 3, 4, 5], endStream: true))
        #expect(try output(session).contains { $0.type == 0x3 && $0.stream == 1 && $0.errorCode == 0x1 })
    }

    /// The window reopens only as PullGuard says the upstream took the bytes.
    @Test func flowControlFollowsConsumed() throws {
        let session = try session()
        let post = [(":method", "POST"), (":scheme", "https"), (":authority", "a.example"), (":path", "/")]
        _ = try feed(session, opening + HTTP2Frames.headers(stream: 1, post, endStream: false))
        _ = try output(session)
        let chunk = [UInt8](repeating: 7, count: 16_000)
        var received = 0
        for _ in 0..<4 {
            for event in try feed(session, HTTP2Frames.data(stream: 1, chunk)) {
                if case .data(_, let bytes) = event { received += bytes.readableBytes }
            }
        }
        #expect(received == 64_000)
        #expect(try !output(session).contains { $0.type == 0x8 }, "no WINDOW_UPDATE before the upstream took anything")
        session.consumed(stream: 1, bytes: 64_000)
        let updates = try output(session).filter { $0.type == 0x8 }
        #expect(Set(updates.map(\.stream)) == [0, 1], "stream and connection windows reopen")
    }

    @Test func aResponseIsHeadersThenDataEndingTheStream() throws {
        let session = try session()
        _ = try feed(session, opening + HTTP2Frames.headers(stream: 1, HTTP2Frames.get))
        _ = try output(session)
        session.respond(stream: 1, status: 200, headers: [("content-type", "text/plain")], hasBody: true)
        #expect(try output(session).map(\.type) == [0x1], "the body is deferred until it arrives")
        session.appendData(stream: 1, ByteBuffer(string: "hello"))
        session.finishData(stream: 1)
        let frames = try output(session)
        #expect(frames.map(\.type) == [0x0])
        #expect(frames.first?.payload == Array("hello".utf8))
        #expect(frames.first.map { $0.flags & 0x1 != 0 } == true, "END_STREAM")
        #expect(session.queuedBytes(stream: 1) == 0)
    }

    @Test func emptyDataFramesAreReported() throws {
        let session = try session()
        let post = [(":method", "POST"), (":scheme", "https"), (":authority", "a.example"), (":path", "/")]
        let events = try feed(session, opening + HTTP2Frames.headers(stream: 1, post, endStream: false)
                              + HTTP2Frames.data(stream: 1, []) + HTTP2Frames.data(stream: 1, []))
        #expect(events.filter { $0 == .emptyData(stream: 1) }.count == 2)
    }

    @Test func aContinuationFloodEndsTheSession() throws {
        let session = try session(HTTP2Settings(maxContinuations: 4))
        var bytes = opening + HTTP2Frames.headers(stream: 1, HTTP2Frames.get, endHeaders: false)
        for index in 0..<10 {
            bytes += HTTP2Frames.continuation(stream: 1, [("x-pad", "\(index)")], endHeaders: false)
        }
        #expect(throws: HTTP2SessionError.self) { try feed(session, bytes) }
    }

    @Test func rapidResetIsAnsweredWithGoAway() throws {
        let session = try session(HTTP2Settings(streamResetBurst: 5, streamResetRate: 1))
        var bytes = opening
        for stream in stride(from: Int32(1), through: 41, by: 2) {
            bytes += HTTP2Frames.headers(stream: stream, HTTP2Frames.get, endStream: false) + HTTP2Frames.rstStream(stream: stream)
        }
        _ = try? feed(session, bytes)
        let goAway = try output(session).first { $0.type == 0x7 }
        // nghttp2 answers a reset rate over the limit with GOAWAY(INTERNAL_ERROR).
        #expect(goAway?.errorCode == 0x2)
        #expect(session.goAwaySent == 0x2, "reported, so the handler can count and close")
    }

    @Test func pingsThatAreNeverReadEndTheSession() throws {
        let session = try session(HTTP2Settings(maxOutboundAcks: 20))
        var bytes = opening
        for index in 0..<100 { bytes += HTTP2Frames.ping(UInt8(index)) }
        // The output is never drained: the acknowledgements pile up.
        #expect(throws: HTTP2SessionError.self) { try feed(session, bytes) }
    }

    @Test func shutdownNoticeThenGoAwayNamingTheLastStream() throws {
        let session = try session()
        _ = try feed(session, opening + HTTP2Frames.headers(stream: 1, HTTP2Frames.get))
        _ = try output(session)
        session.shutdownNotice()
        let notice = try output(session).first { $0.type == 0x7 }
        #expect(notice.map { Array($0.payload[0..<4]) } == [0x7f, 0xff, 0xff, 0xff])
        _ = try feed(session, HTTP2Frames.headers(stream: 3, HTTP2Frames.get))
        session.shutDown()
        let final = try output(session).first { $0.type == 0x7 }
        #expect(final.map { Array($0.payload[0..<4]) } == [0, 0, 0, 3])
    }
}
