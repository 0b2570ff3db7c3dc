import NIOHTTP1
import Testing
@testable import PullGuardHTTP

/// The request id header: generated unless a trusted client sent one well-formed copy.
@Suite struct RequestIDPolicyTests {
    let policy = RequestIDPolicy(name: "X-Request-ID")

    func apply(_ headers: [(String, String)], trusted: Bool) -> (id: String, headers: HTTPHeaders) {
        var fields = HTTPHeaders(headers)
        let id = policy.apply(to: &fields, trusted: trusted) { "generated" }
        return (id, fields)
    }

    @Test func absentIsGenerated() {
        let result = apply([("Accept", "*/*")], trusted: true)
        #expect(result.id == "generated")
        #expect(result.headers["X-Request-ID"] == ["generated"])
    }

    @Test func untrustedClientsIDIsReplaced() {
        let result = apply([("x-request-id", "mine")], trusted: false)
        #expect(result.id == "generated")
        #expect(result.headers["X-Request-ID"] == ["generated"])
    }

    @Test func trustedClientsIDIsKept() {
        let result = apply([("x-request-id", "trace-1")], trusted: true)
        #expect(result.id == "trace-1")
        #expect(result.headers["X-Request-ID"] == ["trace-1"])
    }

    /// An upstream that maps `_` to `-` (CGI, PHP) would read a second id beside ours.
    @Test func underscoreSpellingIsReplacedEvenWhenTrusted() {
        let result = apply([("X_Request_ID", "planted")], trusted: true)
        #expect(result.id == "generated")
        #expect(result.headers["X_Request_ID"].isEmpty)
        #expect(result.headers["X-Request-ID"] == ["generated"])
    }

    @Test func twoCopiesAreReplaced() {
        let result = apply([("X-Request-ID", "a"), ("X-Request-ID", "b")], trusted: true)
        #expect(result.id == "generated")
        #expect(result.headers["X-Request-ID"] == ["generated"])
    }

    @Test(arguments: ["", "has space", String(repeating: "a", count: 201), "caf\u{e9}"])
    func malformedIDIsReplaced(value: String) {
        let result = apply([("X-Request-ID", value)], trusted: true)
        #expect(result.id == "generated")
    }

    @Test func generatorMakes32HexDigitsThatDiffer() {
        var generator = RequestIDGenerator()
        let ids = (0..<1000).map { _ in generator.next() }
        #expect(Set(ids).count == 1000)
        #expect(ids.allSatisfy { $0.count == 32 && $0.allSatisfy { "0123456789abcdef".contains($0) } })
    }
}
