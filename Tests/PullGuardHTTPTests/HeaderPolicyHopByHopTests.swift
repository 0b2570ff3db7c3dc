import NIOCore
import NIOHTTP1
import Testing
@testable import PullGuardHTTP
import PullGuardCore
import PullGuardTestSupport

@Suite struct HTTPHeaderPolicyHopByHopTests {
    @Test func removesFixedHopByHopFields() {
        var headers = HTTPHeaders([
            ("Connection", "keep-alive"), ("Keep-Alive", "timeout=5"), ("Proxy-Connection", "keep-alive"),
            ("TE", "trailers"), ("Trailer", "X-Sum"), ("Transfer-Encoding", "chunked"), ("Upgrade", "h2c"),
            ("Proxy-Authenticate", "Basic"), ("Proxy-Authorization", "Basic Zm9v"), ("Accept", "*/*"),
        ])
        HeaderPolicy.removeHopByHop(from: &headers)
        #expect(headers.map(\.name) == ["Accept"])
    }

    @Test func removesFieldsNamedByConnectionTokens() {
        var headers = HTTPHeaders([("Connection", "close, X-Secret ,x-other"), ("x-secret", "1"),
                                   ("X-Other", "2"), ("X-Kept", "3")])
        HeaderPolicy.removeHopByHop(from: &headers)
        #expect(headers.map(\.name) == ["X-Kept"])
    }

    /// Tokens that are fixed hop-by-hop names are not searched twice, but every field
    /// they name still goes, in any case, with a second Connection field too.
    @Test func connectionTokensNamingFixedFieldsStillRemoveThem() {
        var headers = HTTPHeaders([("Connection", "Keep-Alive, UPGRADE"), ("keep-alive", "timeout=5"),
                                   ("Upgrade", "h2c"), ("connection", "\tX-A\t"), ("x-a", "1"), ("X-B", "2")])
        HeaderPolicy.removeHopByHop(from: &headers)
        #expect(headers.map(\.name) == ["X-B"])
    }

    /// Issue 8, item 2: `Connection` never removes the framing or `Host`, in any spelling.
    @Test func connectionTokensCannotRemoveFramingOrHost() {
        var headers = HTTPHeaders([("Connection", "Content-Length, HOST, keep-alive, X-A"), ("Host", "a.example"),
                                   ("Content-Length", "5"), ("X-A", "1")])
        HeaderPolicy.removeHopByHop(from: &headers)
        #expect(headers.map(\.name) == ["Host", "Content-Length"])
    }

    @Test func listTokensAreTrimmedAndEmptyOnesSkipped() {
        func tokens(_ value: String) -> [String] {
            var out: [String] = []
            HeaderPolicy.forEachToken(in: value) { out.append(String(decoding: $0, as: UTF8.self)) }
            return out
        }
        #expect(tokens(" a , ,b\t,  ,c") == ["a", "b", "c"])
        #expect(tokens("") == [])
        #expect(tokens(",,") == [])
        #expect(tokens("keep-alive") == ["keep-alive"])
        #expect(tokens("x,") == ["x"])
        #expect(tokens(" \t ") == [])
    }

    @Test func chunkedRequestStaysFramedUpstream() {
        let incoming = HTTPHeaders([("Host", "a.example"), ("Transfer-Encoding", "chunked")])
        let out = HeaderPolicy.upstreamRequestHeaders(
            from: incoming, context: .init(clientIP: "192.0.2.1", verification: .none, names: .init()))
        #expect(out[canonicalForm: "transfer-encoding"] == ["chunked"])
    }

    @Test func responseLosesFramingAndConnectionFields() {
        let out = HeaderPolicy.downstreamResponseHeaders(from: HTTPHeaders([
            ("Transfer-Encoding", "chunked"), ("Connection", "close"), ("Content-Type", "text/plain"),
        ]))
        #expect(out.map(\.name) == ["Content-Type"])
    }
}

/// The HTTP/2 response path walks the fields instead of rewriting them: it must keep
/// exactly what the rewrite keeps, and read keep-alive as NIO reads it.
@Suite struct HTTPDownstreamResponseFieldTests {
    static let cases: [[(String, String)]] = [
        [("Connection", "keep-alive"), ("Keep-Alive", "timeout=5"), ("Content-Length", "3"), ("Server", "nginx")],
        [("Connection", "close, X-Secret ,x-other"), ("x-secret", "1"), ("X-Other", "2"), ("X-Kept", "3")],
        [("Connection", "Keep-Alive, UPGRADE"), ("keep-alive", "timeout=5"), ("Upgrade", "h2c"),
         ("connection", "\tX-A\t"), ("x-a", "1"), ("X-B", "2")],
        [("Connection", "content-length, host"), ("Content-Length", "3"), ("Transfer-Encoding", "chunked")],
        [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")],
    ]

    /// The head as the parser hands it on: the fields as spans of their bytes.
    static func upstreamHead(_ version: HTTPVersion, _ fields: [(String, String)]) -> UpstreamResponseHead {
        var bytes = ByteBuffer()
        var spans: [HeaderFieldSpan] = []
        for (name, value) in fields {
            let nameStart = bytes.writerIndex
            bytes.writeString(name)
            bytes.writeString(": ")
            let valueStart = bytes.writerIndex
            bytes.writeString(value)
            spans.append(HeaderFieldSpan(name: nameStart..<(nameStart + name.utf8.count),
                                         value: valueStart..<bytes.writerIndex))
            bytes.writeString("\r\n")
        }
        return UpstreamResponseHead(version: version, status: .ok, bytes: bytes, spans: spans)
    }

    static func walked(_ head: UpstreamResponseHead) -> (fields: [String], keepAlive: Bool) {
        var walked: [String] = []
        let keepAlive = HeaderPolicy.forEachDownstreamResponseField(of: head) {
            walked.append("\(String(decoding: $0, as: UTF8.self)): \(String(decoding: $1, as: UTF8.self))")
        }
        return (walked, keepAlive)
    }

    @Test(arguments: cases)
    func keepsWhatTheRewriteKeeps(fields: [(String, String)]) {
        var rewritten = HTTPHeaders(fields)
        HeaderPolicy.removeHopByHop(from: &rewritten)
        #expect(Self.walked(Self.upstreamHead(.http1_1, fields)).fields == rewritten.map { "\($0.name): \($0.value)" })
    }

    /// `close` beside `keep-alive`, or `keep-alive` twice, closes (HTTP/1.0 once kept these open).
    @Test(arguments: cases + [[("Connection", "CLOSE")], [], [("Connection", "close, keep-alive")],
                              [("Connection", "keep-alive"), ("Connection", "Keep-Alive")]])
    func keepAliveAsNIOReadsIt(fields: [(String, String)]) {
        for version in [HTTPVersion.http1_1, .http1_0] {
            let head = HTTPResponseHead(version: version, status: .ok, headers: HTTPHeaders(fields))
            #expect(Self.walked(Self.upstreamHead(version, fields)).keepAlive == head.isKeepAlive, "\(version) \(fields)")
            let response = HeaderPolicy.downstreamResponse(Self.upstreamHead(version, fields))
            #expect(response.upstreamKeepAlive == head.isKeepAlive, "\(version) \(fields)")
            #expect(response.headers == HeaderPolicy.downstreamResponseHeaders(from: HTTPHeaders(fields)))
        }
    }

    /// The walk over bytes and the rewrite over strings, on random heads: names from the
    /// hop-by-hop set and others in mixed case, `Connection` lists naming any of them.
    @Test func walkAndRewriteAgreeOnRandomHeads() {
        let names = ["Connection", "Keep-Alive", "TE", "Trailer", "Upgrade", "Proxy-Connection", "Transfer-Encoding",
                     "Content-Length", "Host", "X-A", "X-B", "Server", "Set-Cookie", "Proxy-Authenticate"]
        var random = SplitMix64(seed: 0x9E37_79B9_7F4A_7C15)
        func next(_ bound: Int) -> Int { random.next(bound) }
        func mixedCase(_ text: String) -> String {
            String(text.map { next(2) == 0 ? Character($0.uppercased()) : Character($0.lowercased()) })
        }
        for _ in 0..<3000 {
            var fields: [(String, String)] = []
            for _ in 0..<next(8) {
                let name = mixedCase(names[next(names.count)])
                var value = "v\(next(100))"
                if name.lowercased() == "connection" {
                    value = (0..<(1 + next(3))).map { _ in
                        [" ", "", "\t"][next(3)] + mixedCase((names + ["close", "keep-alive"])[next(names.count + 2)])
                    }.joined(separator: ",")
                }
                fields.append((name, value))
            }
            for version in [HTTPVersion.http1_1, .http1_0] {
                var rewritten = HTTPHeaders(fields)
                HeaderPolicy.removeHopByHop(from: &rewritten)
                let walked = Self.walked(Self.upstreamHead(version, fields))
                #expect(walked.fields == rewritten.map { "\($0.name): \($0.value)" }, "\(fields)")
                #expect(walked.keepAlive == HTTPResponseHead(version: version, status: .ok,
                                                             headers: HTTPHeaders(fields)).isKeepAlive, "\(fields)")
            }
        }
    }
}
