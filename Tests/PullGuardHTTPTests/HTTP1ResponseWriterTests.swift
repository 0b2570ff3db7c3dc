import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import PullGuardHTTP
import PullGuardCore
import PullGuardTestSupport

/// `HTTP1ResponseWriter` against NIO's response encoder and header validator, which it
/// replaced on client connections: the same responses through both, the same bytes out.
@Suite struct HTTP1ResponseWriterTests {
    /// One response as the proxy handler writes it.
    struct Response: CustomStringConvertible {
        /// The method of the request it answers; nil when no request head was read.
        var method: HTTPMethod?
        var version: HTTPVersion
        /// A non-final 1xx written first (`100 Continue`), or none.
        var interim: HTTPResponseStatus?
        /// The upstream's head bytes, from the status line to the empty line; nil for one
        /// of PullGuard's own responses (`ownFields`).
        var upstream: String?
        var status: HTTPResponseStatus
        var ownFields: [(String, String)] = []
        var connection: HTTP1ResponseWriter.ConnectionField
        var body: [String]

        var description: String {
            "\(method.map { "\($0)" } ?? "no method") \(version) interim \(interim.map { "\($0.code)" } ?? "-") "
                + "\(upstream.map { $0.debugDescription } ?? "own \(ownFields) \(status.code)") \(connection) \(body)"
        }
    }

    /// The upstream head parsed as the upstream connection parses it.
    static func parsed(_ text: String, method: HTTPMethod) throws -> UpstreamResponseHead {
        var parser = HTTP1ResponseParser()
        parser.requestSent(method: method == .HEAD ? .HEAD : .GET)
        var buffer = ByteBuffer(string: text)
        guard case .head(let head) = try parser.next(&buffer) else {
            Issue.record("no head in \(text.debugDescription)")
            throw HTTP1ResponseError.malformedHeader
        }
        return head
    }

    /// The bytes NIO's encoder wrote for `responses`, in a server pipeline whose decoder
    /// read each request first (the decoder tells the encoder the method).
    static func throughNIO(_ responses: [Response]) throws -> String {
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish() }
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: false,
                                                                        withErrorHandling: false)
        var out = ""
        for response in responses {
            if let method = response.method {
                let target = method == .CONNECT ? "a.example:443" : "/"
                // Kept alive, so that the decoder reads the second request too.
                let request = "\(method) \(target) HTTP/1.\(response.version.minor)\r\nHost: a\r\nConnection: keep-alive\r\n\r\n"
                try channel.writeInbound(ByteBuffer(string: request))
                while try channel.readInbound(as: HTTPServerRequestPart.self) != nil {}
            }
            if let interim = response.interim {
                try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: response.version, status: interim)))
            }
            var headers: HTTPHeaders
            var status = response.status
            if let upstream = response.upstream {
                let head = try parsed(upstream, method: response.method ?? .GET)
                headers = HeaderPolicy.downstreamResponse(head).headers
                status = head.status
            } else {
                headers = HTTPHeaders(response.ownFields)
            }
            switch response.connection {
            case .none: break
            case .close: headers.add(name: "Connection", value: "close")
            case .keepAlive: headers.add(name: "Connection", value: "keep-alive")
            case .upgradeWebSocket:
                headers.add(name: "Connection", value: "Upgrade")
                headers.add(name: "Upgrade", value: "websocket")
            }
            try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: response.version, status: status,
                                                                                   headers: headers)))
            for part in response.body {
                // NIO fails a body write to a HEAD or CONNECT response; the bytes go nowhere.
                channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: part))), promise: nil)
            }
            try channel.writeOutbound(HTTPServerResponsePart.end(nil))
            while let bytes = try channel.readOutbound(as: IOData.self) {
                guard case .byteBuffer(let buffer) = bytes else { continue }
                out += String(buffer: buffer)
            }
        }
        return out
    }

    /// The bytes `HTTP1ResponseWriter` writes for the same responses.
    static func throughWriter(_ responses: [Response]) throws -> String {
        var writer = HTTP1ResponseWriter()
        let allocator = ByteBufferAllocator()
        var out = ""
        for response in responses {
            let method = response.method
            if let interim = response.interim {
                let head = HTTP1ResponseWriter.Head(version: response.version, status: interim, answering: method,
                                                    allocator: allocator, capacity: 0)
                out += String(buffer: writer.finish(head, connection: .none))
            }
            var head: HTTP1ResponseWriter.Head
            if let upstream = response.upstream {
                let parsed = try parsed(upstream, method: response.method ?? .GET)
                head = HTTP1ResponseWriter.Head(relaying: parsed, version: response.version, answering: method,
                                                allocator: allocator)
                _ = head.addFields(of: parsed)
            } else {
                head = HTTP1ResponseWriter.Head(version: response.version, status: response.status, answering: method,
                                                allocator: allocator)
                for (name, value) in response.ownFields { head.add(name: name, value: value) }
            }
            out += String(buffer: writer.finish(head, connection: response.connection))
            for part in response.body {
                writer.body(ByteBuffer(string: part), allocator: allocator) { out += String(buffer: $0) }
            }
            if let last = writer.end(allocator: allocator) { out += String(buffer: last) }
        }
        return out
    }

    /// `last`: no request follows, so it may be a `CONNECT` (NIO's decoder reads nothing after one).
    static func randomResponse(_ random: inout SplitMix64, last: Bool) -> Response {
        let version = random.next(4) == 0 ? HTTPVersion.http1_0 : .http1_1
        let method = [HTTPMethod?.some(.GET), .GET, .HEAD, .POST, last ? .CONNECT : .GET, nil].randomElement(using: &random)!
        let code = [200, 200, 201, 204, 206, 299, 301, 304, 404, 418, 500, 502, 599, 101].randomElement(using: &random)!
        let interim = random.next(6) == 0 && code != 101 ? HTTPResponseStatus.continue : nil
        let bodies = ["", "a", "hello", String(repeating: "x", count: 17), String(repeating: "y", count: 300)]
        let body = (0..<random.next(4)).map { _ in bodies.randomElement(using: &random)! }
        let length = body.reduce(0) { $0 + $1.utf8.count }
        var response = Response(method: method, version: version, interim: interim, upstream: nil,
                                status: HTTPResponseStatus(statusCode: code),
                                connection: code == 101 ? .upgradeWebSocket : [.none, .close, .keepAlive].randomElement(using: &random)!,
                                body: body)
        if random.next(4) == 0 {
            response.ownFields = [("Content-Type", "text/plain; charset=utf-8")]
            if random.next(3) > 0 { response.ownFields.append(("Content-Length", "\(length)")) }
            return response
        }
        var lines = ["HTTP/1.\(random.next(2)) \(code) Whatever"]
        let others = ["Server: t", "X-A: 1", "Set-Cookie: a=b; Path=/", "Date: now", "ETag: \"e\"", "Keep-Alive: timeout=5",
                      "Connection: keep-alive", "Connection: close, X-A", "TE: trailers", "Trailer: X-T", "Upgrade: h2c",
                      "Proxy-Connection: close", "content-type:text/html", "X-Empty:", "X-Spaces:   padded  "]
        for _ in 0..<random.next(6) { lines.append(others.randomElement(using: &random)!) }
        switch random.next(4) {
        case 0: lines.insert("Content-Length: \(length)", at: 1 + random.next(lines.count))
        case 1: lines.append("content-length: \(length)")
        case 2: if method != .HEAD, code != 204, code != 304, code >= 200 { lines.append("Transfer-Encoding: chunked") }
        default: break
        }
        response.upstream = lines.joined(separator: "\r\n") + "\r\n\r\n"
        return response
    }

    @Test func writesWhatNIOsEncoderWroteForRandomResponses() throws {
        var random = SplitMix64(seed: 0x5EED_0000_1234_5678)
        for _ in 0..<2000 {
            // Two responses on one connection: the writer's state carries over as NIO's did.
            let responses = [Self.randomResponse(&random, last: false), Self.randomResponse(&random, last: true)]
            let expected = try Self.throughNIO(responses)
            let written = try Self.throughWriter(responses)
            #expect(written == expected, "\(responses)")
            if written != expected { return }
        }
    }

    @Test func chunkedBodyIsFramedInTwoWritesPerChunk() {
        var writer = HTTP1ResponseWriter()
        let allocator = ByteBufferAllocator()
        let head = HTTP1ResponseWriter.Head(version: .http1_1, status: .ok, answering: .GET, allocator: allocator)
        #expect(String(buffer: writer.finish(head, connection: .none))
            == "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
        var writes: [String] = []
        for part in ["abc", "", String(repeating: "z", count: 26)] {
            writer.body(ByteBuffer(string: part), allocator: allocator) { writes.append(String(buffer: $0)) }
        }
        #expect(writes == ["3\r\n", "abc", "\r\n1a\r\n", String(repeating: "z", count: 26)])
        #expect(writer.end(allocator: allocator).map { String(buffer: $0) } == "\r\n0\r\n\r\n")
    }

    @Test func aResponseToHEADKeepsItsFramingFieldsAndSendsNoBody() {
        var writer = HTTP1ResponseWriter()
        let allocator = ByteBufferAllocator()
        var head = HTTP1ResponseWriter.Head(version: .http1_1, status: .ok, answering: .HEAD, allocator: allocator)
        head.add(name: "Content-Length", value: "5")
        #expect(String(buffer: writer.finish(head, connection: .none))
            == "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
        writer.body(ByteBuffer(string: "hello"), allocator: allocator) { _ in Issue.record("body written for HEAD") }
        #expect(writer.end(allocator: allocator) == nil)
    }

    @Test(arguments: [0, 1, 9, 10, 15, 16, 255, 4096, 65_535, 1 << 40])
    func chunkSizesAreLowerCaseHexadecimal(size: Int) {
        var buffer = ByteBuffer()
        buffer.writeHexadecimal(size)
        #expect(String(buffer: buffer) == String(size, radix: 16))
    }
}
