import NIOCore
import NIOHTTP1
import Testing
@testable import PullGuardHTTP
import PullGuardCore
import PullGuardTestSupport

/// What an upstream's bytes become, checked part by part; every refusal names the flaw.
@Suite struct HTTP1ResponseParserTests {
    /// A part as text: `head 200 [name: value, ...]`, `body <bytes>`, `end [trailers]`.
    enum Part: Equatable, CustomStringConvertible {
        case head(Int, [String])
        case body(String)
        case end([String])

        var description: String {
            switch self {
            case .head(let code, let headers): "head \(code) \(headers)"
            case .body(let text): "body \(text.debugDescription)"
            case .end(let trailers): "end \(trailers)"
            }
        }
    }

    struct Fed {
        var parts: [Part] = []
        var error: HTTP1ResponseError?
        var left = ByteBuffer()
    }

    /// Feeds `pieces` one read at a time, after a request with `method`; body parts are
    /// merged, as a client would see them.
    func feed(_ pieces: [String], method: HTTPMethod = .GET, parser: inout HTTP1ResponseParser) -> Fed {
        var fed = Fed()
        parser.requestSent(method: method)
        var buffer = ByteBuffer()
        for piece in pieces {
            buffer.writeString(piece)
            do {
                while let part = try parser.next(&buffer) {
                    switch part {
                    case .head(let head):
                        fed.parts.append(.head(Int(head.status.code), head.headers.map { "\($0.name): \($0.value)" }))
                    case .body(var bytes):
                        let text = bytes.readString(length: bytes.readableBytes) ?? ""
                        if case .body(let before) = fed.parts.last {
                            fed.parts[fed.parts.count - 1] = .body(before + text)
                        } else {
                            fed.parts.append(.body(text))
                        }
                    case .end(let trailers):
                        fed.parts.append(.end(trailers?.map { "\($0.name): \($0.value)" } ?? []))
                    }
                }
            } catch {
                fed.error = error
                break
            }
        }
        fed.left = buffer
        return fed
    }

    func feed(_ pieces: [String], method: HTTPMethod = .GET) -> Fed {
        var parser = HTTP1ResponseParser()
        return feed(pieces, method: method, parser: &parser)
    }

    /// Every split of `text` into single bytes.
    func bytewise(_ text: String) -> [String] { text.map { String($0) } }

    @Test func contentLengthResponse() {
        let fed = feed(["HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A:  spaced value \t\r\n\r\nhello"])
        #expect(fed.parts == [.head(200, ["Content-Length: 5", "X-A: spaced value"]), .body("hello"), .end([])])
        #expect(fed.error == nil)
    }

    @Test func chunkedResponseByteByByteWithExtensionsAndTrailers() {
        let response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n"
            + "5;name=\"v\"\r\nhello\r\n1A\r\n" + String(repeating: "x", count: 26) + "\r\n0\r\nX-Checksum: 7\r\n\r\n"
        let fed = feed(bytewise(response))
        #expect(fed.error == nil)
        #expect(fed.parts == [.head(200, ["Transfer-Encoding: Chunked"]),
                              .body("hello" + String(repeating: "x", count: 26)), .end(["X-Checksum: 7"])])
    }

    @Test func responsesWithoutBody() {
        #expect(feed(["HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n"], method: .HEAD).parts
                == [.head(200, ["Content-Length: 50"]), .end([])])
        #expect(feed(["HTTP/1.1 204 No Content\r\n\r\n"]).parts == [.head(204, []), .end([])])
        #expect(feed(["HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n"]).parts
                == [.head(304, ["Content-Length: 9"]), .end([])])
        #expect(feed(["HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"]).parts == [.head(200, ["Content-Length: 0"]), .end([])])
    }

    @Test func interimResponsesAreDropped() {
        let fed = feed(["HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n",
                        "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"], method: .POST)
        #expect(fed.parts == [.head(201, ["Content-Length: 2"]), .body("ok"), .end([])])
    }

    @Test func switchingProtocolsLeavesTheRestForTheTunnel() {
        var parser = HTTP1ResponseParser()
        let fed = feed(["HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\u{81}\u{2}hi"], parser: &parser)
        #expect(fed.parts == [.head(101, ["Upgrade: websocket"])])
        #expect(parser.isUpgraded)
        #expect(fed.left.readableBytes == 5)
    }

    @Test func bodyUntilCloseEndsAtTheClose() {
        var parser = HTTP1ResponseParser()
        let fed = feed(["HTTP/1.0 200 OK\r\n\r\nsome", " more"], parser: &parser)
        #expect(fed.parts == [.head(200, []), .body("some more")])
        guard case .end(nil) = parser.connectionClosed() else {
            Issue.record("no end at the close")
            return
        }
    }

    @Test func aResponseCutShortHasNoEnd() {
        var parser = HTTP1ResponseParser()
        let fed = feed(["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"], parser: &parser)
        #expect(fed.parts == [.head(200, ["Content-Length: 10"]), .body("abc")])
        #expect(parser.connectionClosed() == nil)
    }

    @Test func aPooledConnectionReadsOneResponsePerRequest() {
        var parser = HTTP1ResponseParser()
        let first = feed(["HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"], parser: &parser)
        let second = feed(["HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nb"], parser: &parser)
        #expect(first.parts == [.head(200, ["Content-Length: 1"]), .body("a"), .end([])])
        #expect(second.parts == [.head(404, ["Content-Length: 1"]), .body("b"), .end([])])
    }

    /// A second response behind the first (the upstream answering a request PullGuard
    /// never sent, or a mis-framed body) must never become the next request's answer.
    @Test func bytesBehindAResponseFailBeforeTheNextRequest() {
        var parser = HTTP1ResponseParser()
        let fed = feed(["HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil"],
                       parser: &parser)
        #expect(fed.parts == [.head(200, ["Content-Length: 1"]), .body("a"), .end([])])
        #expect(fed.error == .bytesWithoutRequest)
        #expect(!parser.isIdle, "the connection must not be leased again")
        let next = feed(["HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb"], parser: &parser)
        #expect(next.parts.isEmpty)
        #expect(next.error == .bytesWithoutRequest)
    }

    @Test func bytesWithoutARequestFail() {
        var parser = HTTP1ResponseParser()
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\n\r\n")
        #expect(throws: HTTP1ResponseError.bytesWithoutRequest) { try parser.next(&buffer) }
    }

    @Test func aRequestWhileAResponseIsUnderWayFails() {
        var parser = HTTP1ResponseParser()
        _ = feed(["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"], parser: &parser)
        parser.requestSent(method: .GET)
        var buffer = ByteBuffer(string: "defghij")
        #expect(throws: HTTP1ResponseError.requestWhileBusy) { try parser.next(&buffer) }
    }

    @Test func repeatedEqualLengthsAreOneLength() {
        let fed = feed(["HTTP/1.1 200 OK\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\nok"])
        #expect(fed.error == nil)
        #expect(fed.parts.last == .end([]))
    }

    @Test(arguments: [
        ("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", HTTP1ResponseError.bareLineFeed),
        ("HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n", .bareLineFeed),
        ("HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\n\r\n", .malformedHeader),
        ("HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello", .malformedHeader),
        ("HTTP/1.1 200 OK\r\nX-A: a\u{0}b\r\n\r\n", .malformedHeader),
        ("HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n", .malformedHeader),
        ("HTTP/1.1 200 OK\r\n: empty\r\n\r\n", .malformedHeader),
        ("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", .malformedHeader),
        ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", .lengthAndChunked),
        ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", .conflictingContentLengths),
        ("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n", .invalidContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n", .invalidContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", .invalidContentLength),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .unsupportedTransferCoding),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", .unsupportedTransferCoding),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n", .unsupportedTransferCoding),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .malformedChunk),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", .malformedChunk),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", .malformedChunk),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n", .malformedChunk),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;a\u{1}b\r\nabc\r\n", .malformedChunk),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\n", .malformedChunk),
        ("HTTP/2.0 200 OK\r\n\r\n", .unsupportedVersion),
        ("HTTP/1.2 200 OK\r\n\r\n", .unsupportedVersion),
        ("HTTP/1.1 20 OK\r\n\r\n", .malformedStatusLine),
        ("HTTP/1.1 099 OK\r\n\r\n", .malformedStatusLine),
        ("HTTP/1.1  200 OK\r\n\r\n", .malformedStatusLine),
        ("HTTP/1.1 200OK\r\n\r\n", .malformedStatusLine),
        ("HTTP/1.1 200 O\u{7}K\r\n\r\n", .malformedStatusLine),
        ("HTTP/1.1 200 O\rK\r\n\r\n", .malformedStatusLine),
        ("ICY 200 OK\r\n\r\n", .malformedStatusLine),
    ])
    func refusals(response: String, error: HTTP1ResponseError) {
        let whole = feed([response])
        #expect(whole.error == error, "\(response.debugDescription)")
        #expect(!whole.parts.contains { if case .end = $0 { true } else { false } })
        // The same verdict when the bytes arrive one at a time.
        #expect(feed(bytewise(response)).error == error, "bytewise \(response.debugDescription)")
    }

    @Test func anEndlessHeadIsCutOff() {
        let header = "X-Filler: " + String(repeating: "a", count: 1000) + "\r\n"
        let fed = feed(["HTTP/1.1 200 OK\r\n"] + Array(repeating: header, count: 90))
        #expect(fed.error == .headTooLarge)
    }

    @Test func anEndlessChunkLineIsCutOff() {
        let fed = feed(["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;" + String(repeating: "e", count: 5000)])
        #expect(fed.error == .malformedChunk)
    }
}

extension HTTP1ResponseParserTests {
    /// Whatever the reads look like, a response is read the same: random bodies, chunk
    /// sizes and read boundaries (seeded, so a failure repeats), each split of each
    /// response giving the one body and the one end.
    @Test func readBoundariesNeverChangeWhatIsRead() {
        var generator = SplitMix64(seed: 0x5EED)
        for round in 0..<200 {
            let body = String((0..<Int(generator.next() % 300)).map { _ in Character(UnicodeScalar(UInt8(97 + generator.next() % 26))) })
            var response: String
            if generator.next() % 2 == 0 {
                response = "HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
            } else {
                response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                var rest = Substring(body)
                while !rest.isEmpty {
                    let size = min(rest.count, 1 + Int(generator.next() % 40))
                    response += String(size, radix: 16) + (generator.next() % 3 == 0 ? ";x=y" : "") + "\r\n" + rest.prefix(size) + "\r\n"
                    rest = rest.dropFirst(size)
                }
                response += "0\r\n\r\n"
            }
            var pieces: [String] = []
            var remaining = Substring(response)
            while !remaining.isEmpty {
                let size = min(remaining.count, 1 + Int(generator.next() % 64))
                pieces.append(String(remaining.prefix(size)))
                remaining = remaining.dropFirst(size)
            }
            let fed = feed(pieces)
            #expect(fed.error == nil, "round \(round)")
            let expectedBody: [Part] = body.isEmpty ? [] : [.body(body)]
            #expect(Array(fed.parts.dropFirst()) == expectedBody + [.end([])], "round \(round): \(response.debugDescription)")
        }
    }
}
