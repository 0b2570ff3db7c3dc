import NIOCore
import PullGuardCore
import Testing
import PullGuardTestSupport
@testable import PullGuardHTTP2

/// nghttp2's frame buffer on pages of its own, given back while idle: the session works
/// the same before and after.
@Suite struct NGHTTP2SessionMemoryTests {
    let allocator = ByteBufferAllocator()
    let opening = HTTP2Frames.preface + HTTP2Frames.settings()

    func exchange(_ session: NGHTTP2ServerSession, stream: Int32, body: String) throws -> [HTTP2Frames.Frame] {
        _ = try session.receive(ByteBuffer(bytes: HTTP2Frames.headers(stream: stream, HTTP2Frames.get)))
        session.respond(stream: stream, status: 200, headers: [("content-type", "text/plain")], hasBody: true)
        session.appendData(stream: stream, ByteBuffer(string: body))
        session.finishData(stream: stream)
        return HTTP2Frames.parse(try session.pendingOutput(allocator: allocator))
    }

    @Test func theFrameBufferIsMappedApartFromTheHeap() throws {
        let session = try NGHTTP2ServerSession(settings: HTTP2Settings())
        // 16 384 + 10 bytes, rounded up to whole pages.
        #expect(session.mappedBufferBytes >= 16_384 && session.mappedBufferBytes <= 20_480)
    }

    @Test func framesAfterReleasingTheIdlePagesAreWhole() throws {
        let session = try NGHTTP2ServerSession(settings: HTTP2Settings())
        _ = try session.pendingOutput(allocator: allocator)
        _ = try session.receive(ByteBuffer(bytes: opening))
        _ = try session.pendingOutput(allocator: allocator)
        let body = String(repeating: "0123456789abcdef", count: 1000)  // 16 000 bytes: most of the buffer
        let before = try exchange(session, stream: 1, body: body)
        #expect(session.releaseIdleMemory())
        let after = try exchange(session, stream: 3, body: body)
        #expect(before.map(\.type) == after.map(\.type))
        #expect(after.filter { $0.type == 0x0 }.flatMap(\.payload) == Array(body.utf8))
        // A third exchange after a second release, to see the pages come and go again.
        #expect(session.releaseIdleMemory())
        let third = try exchange(session, stream: 5, body: "small")
        #expect(third.filter { $0.type == 0x0 }.flatMap(\.payload) == Array("small".utf8))
    }

    @Test func pagesAreNotReleasedWhileSomethingWaitsToBeSent() throws {
        let session = try NGHTTP2ServerSession(settings: HTTP2Settings())
        // The server's SETTINGS have not been taken yet.
        #expect(!session.releaseIdleMemory())
    }
}
