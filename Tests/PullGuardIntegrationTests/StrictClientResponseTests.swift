import Foundation
import PullGuardTestSupport
import Testing

/// Responses as PullGuard frames them for HTTP/1.1 clients (`HTTP1ResponseWriter`), read by
/// h11, a strict HTTP/1.1 parser (`Tests/Scripts/h11_client.py`), through the real binary:
/// each case is followed by a second request on the same connection, which only succeeds
/// if the first response ended exactly where the client expected.
@Suite(.serialized) struct StrictClientResponseTests {
    struct Parsed: Decodable {
        struct Response: Decodable {
            var status: Int
            var headers: [[String]]
            var body: String

            func values(_ name: String) -> [String] { headers.filter { $0[0] == name }.map { $0[1] } }
        }

        var responses: [Response]
        var error: String?
    }

    /// The upstream's answers, by target; anything else gets `ok\n`.
    static let answer: StrictRecordingUpstream.Answer = { request in
        switch request.target {
        case "/chunked":
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        case "/head":
            "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nContent-Type: text/plain\r\n\r\n"
        case "/no-content":
            "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nX-Kept: yes\r\n\r\n"
        case "/not-modified":
            "HTTP/1.1 304 Not Modified\r\nContent-Length: 11\r\nETag: \"v1\"\r\n\r\n"
        case "/hop-by-hop":
            "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: X-Secret\r\nX-Secret: 1\r\nKeep-Alive: timeout=5\r\n\r\nok\n"
        default:
            "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n"
        }
    }

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/h11_client.py").path
    }

    /// `requests` on one connection, then `GET /after`; what h11 read.
    static func exchange(_ requests: [[String]]) async throws -> Parsed {
        var parsed: Parsed?
        try await StrictUpstreamScenario.withConfig(RequestSmugglingTests.config, answer: answer) { scenario in
            let input = try JSONSerialization.data(withJSONObject: requests + [["GET", "/after"]])
            let result = try CommandRunner.run("python3", [
                script, "\(scenario.proxy.port)", "x.example.com",
                ProxyScenario.file("client.pem"), ProxyScenario.file("client.key"),
            ], stdin: String(decoding: input, as: UTF8.self), timeout: 30)
            parsed = try JSONDecoder().decode(Parsed.self, from: Data(result.stdout.utf8))
            #expect(scenario.upstream.errors.isEmpty, "\(scenario.upstream.errors)")
        }
        let outcome = try #require(parsed)
        #expect(outcome.error == nil, "\(outcome.error ?? "")")
        #expect(outcome.responses.count == requests.count + 1)
        #expect(outcome.responses.last?.body == "ok\n", "the next response on the connection")
        return outcome
    }

    /// The upstream's chunks are re-chunked by PullGuard; the client gets the whole body.
    @Test func aChunkedBodyArrivesWhole() async throws {
        let response = try #require(try await Self.exchange([["GET", "/chunked"]]).responses.first)
        #expect(response.status == 200)
        #expect(response.body == "hello world")
        #expect(response.values("transfer-encoding") == ["chunked"])
    }

    /// A response to HEAD keeps the length a GET would have and carries no body.
    @Test func aResponseToHEADHasItsLengthAndNoBody() async throws {
        let response = try #require(try await Self.exchange([["HEAD", "/head"]]).responses.first)
        #expect(response.status == 200)
        #expect(response.values("content-length") == ["11"])
        #expect(response.body.isEmpty)
    }

    /// 204 and 304 carry no body and no `Content-Length` (as NIO's encoder sent them).
    @Test func noContentAndNotModifiedCarryNoLength() async throws {
        let responses = try await Self.exchange([["GET", "/no-content"], ["GET", "/not-modified"]]).responses
        #expect(responses.map(\.status) == [204, 304, 200])
        #expect(responses[0].values("x-kept") == ["yes"])
        #expect(responses[1].values("etag") == ["\"v1\""])
        #expect(responses[0].values("content-length").isEmpty && responses[1].values("content-length").isEmpty)
    }

    /// Hop-by-hop fields, and those the upstream's `Connection` names, never reach the client.
    @Test func hopByHopFieldsStayBehind() async throws {
        let response = try #require(try await Self.exchange([["GET", "/hop-by-hop"]]).responses.first)
        #expect(response.body == "ok\n")
        #expect(response.values("x-secret").isEmpty && response.values("keep-alive").isEmpty
            && response.values("connection").isEmpty, "\(response.headers)")
    }
}
