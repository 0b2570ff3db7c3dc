import NIOHTTP1
import Testing
@testable import PullGuardCore
@testable import PullGuardHTTP

/// The request id header: generated unless a trusted client sent one well-formed copy.
@Suite struct RequestIDPolicyTests {
    let policy = RequestIDPolicy(name: "X-Request-ID")

    /// The id step as the request rewrite runs it.
    func apply(_ headers: [(String, String)], trusted: Bool) -> (id: String, headers: HTTPHeaders) {
        let context = HeaderPolicy.RequestContext(clientIP: nil, verification: .none, names: IdentityHeaderNames())
        let result = HeaderPolicy.upstreamRequestHeaders(from: HTTPHeaders(headers), context: context, framing: .none,
                                                         requestID: RequestIDPolicy.Pass(policy: policy, trusted: trusted)) {
            "generated"
        }
        return (result.requestID ?? "", result.headers)
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

    /// A kept id stays where the client put it among its fields; a new one comes last.
    @Test func keptIDKeepsItsPlaceAndANewOneComesLast() {
        let kept = apply([("Accept", "*/*"), ("X-Request-ID", "trace-1"), ("Via", "edge")], trusted: true)
        #expect(kept.headers.map(\.name).prefix(3) == ["Accept", "X-Request-ID", "Via"])
        let replaced = apply([("Accept", "*/*"), ("X-Request-ID", "trace-1"), ("Via", "edge")], trusted: false)
        #expect(replaced.headers.map(\.name).prefix(2) == ["Accept", "Via"])
        #expect(replaced.headers.map(\.name).last == "X-Request-ID")
    }

    /// A `Connection` token naming the id's header removes the client's copy, never the id.
    @Test func connectionTokenCannotRemoveTheID() {
        let result = apply([("Connection", "x-request-id"), ("X-Request-ID", "trace-1")], trusted: true)
        #expect(result.id == "generated")
        #expect(result.headers["X-Request-ID"] == ["generated"])
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
