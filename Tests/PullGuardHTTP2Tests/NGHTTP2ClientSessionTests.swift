import Testing
@testable import PullGuardHTTP2

/// The nghttp2 client role in memory: what it writes (preface, SETTINGS, HEADERS) and
/// the events it records for server frames written here byte by byte, so the test
/// depends on RFC 9113's wire format, not on a second nghttp2 session.
@Suite struct NGHTTP2ClientSessionTests {
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    /// One frame: 24-bit length, type, flags, 31-bit stream id, payload.
    func frame(type: UInt8, flags: UInt8 = 0, stream: UInt32 = 0, _ payload: [UInt8] = []) -> [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags,
                UInt8(stream >> 24 & 0x7f), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff)] + payload
    }

    func be32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24 & 0xff), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    /// The server's preface (empty SETTINGS) and the ACK of the client's SETTINGS.
    var serverHello: [UInt8] { frame(type: 0x4) + frame(type: 0x4, flags: 0x1) }

    /// HEADERS with `:status 200` (HPACK static index 8) or `:status 404` (index 13).
    func responseHeaders(stream: UInt32, status200: Bool = true, endStream: Bool = false) -> [UInt8] {
        frame(type: 0x1, flags: 0x4 | (endStream ? 0x1 : 0), stream: stream, [status200 ? 0x88 : 0x8d])
    }

    func receive(_ session: NGHTTP2ClientSession, _ bytes: [UInt8]) -> Result<[NGHTTP2ClientEvent], NGHTTP2ClientError> {
        bytes.withUnsafeBytes { session.receive($0) }
    }

    func outbound(_ session: NGHTTP2ClientSession) throws -> [UInt8] {
        try session.takeOutbound().get().bytes
    }

    /// Splits written bytes (after the preface) into frames.
    func frames(_ bytes: ArraySlice<UInt8>) -> [(type: UInt8, flags: UInt8, stream: UInt32, payload: [UInt8])] {
        var out: [(UInt8, UInt8, UInt32, [UInt8])] = []
        var index = bytes.startIndex
        while index + 9 <= bytes.endIndex {
            let length = Int(bytes[index]) << 16 | Int(bytes[index + 1]) << 8 | Int(bytes[index + 2])
            let stream = UInt32(bytes[index + 5] & 0x7f) << 24 | UInt32(bytes[index + 6]) << 16
                | UInt32(bytes[index + 7]) << 8 | UInt32(bytes[index + 8])
            out.append((bytes[index + 3], bytes[index + 4], stream, Array(bytes[(index + 9)..<min(index + 9 + length, bytes.endIndex)])))
            index += 9 + length
        }
        return out
    }

    @Test func writesThePrefaceSettingsAndOneHeadersFramePerRequest() throws {
        let session = try NGHTTP2ClientSession()
        let request = NGHTTP2ClientRequest(authority: "a.test:8443", path: "/health", headers: [("User-Agent", "t")])
        #expect(request.fields.map(\.name) == [":method", ":scheme", ":authority", ":path", "user-agent"])
        #expect(try session.submit(request) == 1)
        #expect(try session.submit(request) == 3)
        let bytes = try outbound(session)
        #expect(Array(bytes.prefix(Self.preface.count)) == Self.preface)
        let written = frames(bytes[Self.preface.count...])
        #expect(written.first?.type == 0x4)            // SETTINGS
        let headers = written.filter { $0.type == 0x1 }
        #expect(headers.map(\.stream) == [1, 3])
        // END_STREAM | END_HEADERS: a GET has no body.
        #expect(headers.allSatisfy { $0.flags & 0x5 == 0x5 })
        #expect(try outbound(session).isEmpty)
    }

    @Test func recordsStatusDataEndAndCloseOfAResponse() throws {
        let session = try NGHTTP2ClientSession()
        let id = try session.submit(NGHTTP2ClientRequest(authority: "a.test", path: "/"))
        _ = try outbound(session)
        let response = serverHello + responseHeaders(stream: UInt32(id))
            + frame(type: 0x0, flags: 0x1, stream: UInt32(id), Array("ok\n".utf8))
        let events = try receive(session, response).get()
        #expect(events == [.status(streamID: id, code: 200), .data(streamID: id, length: 3),
                           .endStream(streamID: id), .streamClosed(streamID: id, errorCode: 0)])
        // The SETTINGS ACK nghttp2 owes the server is written on the next drain.
        let acks = frames(try outbound(session)[...]).filter { $0.type == 0x4 && $0.flags == 0x1 }
        #expect(acks.count == 1)
    }

    @Test func recordsAResetWithItsCode() throws {
        let session = try NGHTTP2ClientSession()
        let id = try session.submit(NGHTTP2ClientRequest(authority: "a.test", path: "/"))
        _ = try outbound(session)
        let events = try receive(session, serverHello + frame(type: 0x3, stream: UInt32(id), be32(2))).get()
        #expect(events == [.reset(streamID: id, errorCode: 2), .streamClosed(streamID: id, errorCode: 2)])
    }

    @Test func goAwayClosesStreamsAboveTheLastStreamIDAsRefused() throws {
        let session = try NGHTTP2ClientSession()
        let request = NGHTTP2ClientRequest(authority: "a.test", path: "/")
        let first = try session.submit(request)
        let second = try session.submit(request)
        _ = try outbound(session)
        let goAway = frame(type: 0x7, be32(UInt32(first)) + be32(0))
        let events = try receive(session, serverHello + goAway + responseHeaders(stream: UInt32(first), status200: false, endStream: true)).get()
        #expect(events.first { if case .goAway = $0 { true } else { false } } == .goAway(lastStreamID: first, errorCode: 0))
        #expect(events.contains(.streamClosed(streamID: second, errorCode: 7)))
        #expect(events.contains(.status(streamID: first, code: 404)))
        #expect(events.last == .streamClosed(streamID: first, errorCode: 0))
    }

    @Test func terminateWritesGoAwayAndStopsReading() throws {
        let session = try NGHTTP2ClientSession()
        _ = try outbound(session)
        session.terminate()
        let written = frames(try outbound(session)[...])
        #expect(written.contains { $0.type == 0x7 })
        #expect(!session.wantsRead)
    }

    @Test func aProtocolErrorByTheServerIsAnsweredWithGoAwayAndEndsTheSession() throws {
        let session = try NGHTTP2ClientSession()
        let id = try session.submit(NGHTTP2ClientRequest(authority: "a.test", path: "/"))
        _ = try outbound(session)
        // HEADERS on stream 0 is a connection error (RFC 9113 §6.2): nghttp2 consumes it,
        // records nothing for it, and queues GOAWAY(PROTOCOL_ERROR).
        let events = try receive(session, serverHello + frame(type: 0x1, flags: 0x4, stream: 0, [0x88])).get()
        #expect(!events.contains { if case .status = $0 { true } else { false } })
        let bytes = try session.takeOutbound().get()
        let written = frames(bytes.bytes[...])
        #expect(written.contains { $0.type == 0x7 })
        let goAway = try #require(written.first { $0.type == 0x7 })
        #expect(Array(goAway.payload[4..<8]) == be32(1))   // PROTOCOL_ERROR
        // nghttp2 does not close the open stream by callback: the session is simply over,
        // which the caller must notice through `wantsRead`/`wantsWrite` (or it would wait forever).
        #expect(!(bytes.events + events).contains(.streamClosed(streamID: id, errorCode: 0)))
        #expect(!session.wantsRead && !session.wantsWrite)
    }
}
