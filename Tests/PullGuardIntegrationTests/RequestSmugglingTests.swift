import Foundation
import Testing
import PullGuardTestSupport

/// Issue 8, items 2, 3 and 5 through the real binary: a raw TLS client (Python `ssl`
/// with a client certificate) sends what no browser would, and a strict upstream
/// says what it actually parsed.
@Suite(.serialized) struct RequestSmugglingTests {
    /// Site `w` claims `*.example.com`; site `adm` claims `admin.example.com` and only
    /// admits CN=admin. Both share the one upstream.
    static let config = """
        listen: 127.0.0.1:0
        workers: 1
        sites:
          - name: w
            server_names: ["*.example.com", localhost]
            certificates:
              - cert: {PKI}/server.pem
                key: {PKI}/server.key
            upstream: {UPSTREAM}
            client_auth:
              trust: [{PKI}/root.pem]
          - name: adm
            server_names: [admin.example.com]
            certificates:
              - cert: {PKI}/server-b.pem
                key: {PKI}/server-b.key
            upstream: {UPSTREAM}
            client_auth:
              trust: [{PKI}/root.pem]
              allow:
                common_names: [admin]
        """

    static let smuggled = "GET /admin HTTP/1.1\r\nHost: x.example.com\r\nX-Client-Verify: FORGED\r\n"
        + "X-Client-Cert-Subject: CN=admin\r\n\r\n"

    /// One request upstream, the real verdict on it, the smuggled bytes only as its body.
    func expectOneRequest(_ scenario: StrictUpstreamScenario, _ result: CommandResult, method: String,
                          body: String = smuggled, sourceLocation: SourceLocation = #_sourceLocation) {
        let requests = scenario.upstream.requests
        #expect(scenario.upstream.errors.isEmpty, "\(scenario.upstream.errors)", sourceLocation: sourceLocation)
        #expect(requests.map { "\($0.method) \($0.target)" } == ["\(method) /"], sourceLocation: sourceLocation)
        guard let request = requests.first else { return }
        #expect(request.bodyText == body, sourceLocation: sourceLocation)
        #expect(request.values("x-client-verify") == ["SUCCESS"], sourceLocation: sourceLocation)
        #expect(request.values("x-client-cert-subject") == ["CN=client,O=PullGuard Tests"], sourceLocation: sourceLocation)
        #expect(request.values("host") == ["x.example.com"], sourceLocation: sourceLocation)
        let responses = result.stdout.components(separatedBy: "HTTP/1.1 ").count - 1
        #expect(responses == 1 && result.stdout.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(result.stdout)\(result.stderr)",
                sourceLocation: sourceLocation)
    }

    @Test func getWithConnectionContentLength() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { (scenario) async throws in
            let result = try scenario.rawTLS(
                "GET / HTTP/1.1\r\nHost: x.example.com\r\nContent-Length: \(Self.smuggled.utf8.count)\r\n"
                + "Connection: Content-Length\r\n\r\n" + Self.smuggled, sni: "x.example.com")
            expectOneRequest(scenario, result, method: "GET")
        }
    }

    @Test func optionsWithConnectionKeepAliveContentLength() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { (scenario) async throws in
            let result = try scenario.rawTLS(
                "OPTIONS / HTTP/1.1\r\nHost: x.example.com\r\nContent-Length: \(Self.smuggled.utf8.count)\r\n"
                + "Connection: keep-alive, content-length\r\n\r\n" + Self.smuggled, sni: "x.example.com")
            expectOneRequest(scenario, result, method: "OPTIONS")
        }
    }

    @Test func connectionNamingHost() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { (scenario) async throws in
            let result = try scenario.rawTLS("GET / HTTP/1.1\r\nHost: x.example.com\r\nConnection: Host\r\n\r\n",
                                             sni: "x.example.com")
            expectOneRequest(scenario, result, method: "GET", body: "")
        }
    }

    @Test func traceWithABodyIs405() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { (scenario) async throws in
            let result = try scenario.rawTLS(
                "TRACE / HTTP/1.1\r\nHost: x.example.com\r\nContent-Length: \(Self.smuggled.utf8.count)\r\n\r\n"
                + Self.smuggled, sni: "x.example.com")
            #expect(result.stdout.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"), "\(result.stdout)\(result.stderr)")
            #expect(scenario.upstream.requests.isEmpty)
        }
    }

    @Test func chunkedTrailerCannotCarryAnIdentity() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { (scenario) async throws in
            let result = try scenario.rawTLS(
                "POST / HTTP/1.1\r\nHost: x.example.com\r\nTransfer-Encoding: chunked\r\nTE: trailers\r\n\r\n"
                + "3\r\nabc\r\n0\r\nX-Client-Verify: FORGED\r\nX-Client-Cert-Subject: CN=admin\r\n\r\n",
                sni: "x.example.com")
            expectOneRequest(scenario, result, method: "POST", body: "abc")
            #expect(scenario.upstream.requests.first?.trailers.isEmpty == true)
            #expect(scenario.upstream.requests.first.map { String(decoding: $0.raw, as: UTF8.self) }?
                .contains("FORGED") == false)
        }
    }

    @Test func underscoreLookalikesAreNotForwarded() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { (scenario) async throws in
            let result = try scenario.rawTLS(
                "GET / HTTP/1.1\r\nHost: x.example.com\r\nX_Forwarded_For: 6.6.6.6\r\nX_Forwarded_Proto: http\r\n"
                + "X_Client_Verify: FORGED\r\nSome_Header: 1\r\n\r\n", sni: "x.example.com")
            expectOneRequest(scenario, result, method: "GET", body: "")
            let request = try #require(scenario.upstream.requests.first)
            #expect(request.headers.filter { $0.name.contains("_") }.isEmpty)
            #expect(request.values("x-forwarded-for") == ["127.0.0.1"])
            #expect(request.values("x-forwarded-proto") == ["https"])
        }
    }

    /// A client verified for the wildcard site names the exact site in Host: 421,
    /// although both sites share the upstream.
    @Test func hostNamingTheExactSiteOnTheWildcardSitesConnectionIs421() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { (scenario) async throws in
            let result = try scenario.rawTLS("GET / HTTP/1.1\r\nHost: admin.example.com\r\n\r\n", sni: "x.example.com")
            #expect(result.stdout.hasPrefix("HTTP/1.1 421 Misdirected Request\r\n"), "\(result.stdout)\(result.stderr)")
            #expect(scenario.upstream.requests.isEmpty)
        }
    }

    /// Four requests in one write: the connection queues what follows a pending response
    /// and serves it in order; a refused request's body is drained, not parsed as a
    /// request; `Connection: close` ends the connection and the request behind it is
    /// never forwarded.
    @Test func pipelinedRequestsServedInOrderUntilConnectionClose() async throws {
        try await StrictUpstreamScenario.withConfig(Self.config) { (scenario) async throws in
            let result = try scenario.rawTLS(
                "GET /1 HTTP/1.1\r\nHost: x.example.com\r\n\r\n"
                + "TRACE / HTTP/1.1\r\nHost: x.example.com\r\nContent-Length: \(Self.smuggled.utf8.count)\r\n\r\n"
                + Self.smuggled
                + "GET /3 HTTP/1.1\r\nHost: x.example.com\r\nConnection: close\r\n\r\n"
                + "GET /4 HTTP/1.1\r\nHost: x.example.com\r\n\r\n", sni: "x.example.com")
            #expect(scenario.upstream.errors.isEmpty, "\(scenario.upstream.errors)")
            let requests = scenario.upstream.requests
            #expect(requests.map { "\($0.method) \($0.target)" } == ["GET /1", "GET /3"])
            #expect(requests.allSatisfy { $0.values("x-client-verify") == ["SUCCESS"] })
            // Bodies end in a bare "\n", heads in "\r\n": split on either.
            let statuses = result.stdout.components(separatedBy: .newlines).filter { $0.hasPrefix("HTTP/1.1 ") }
            #expect(statuses == ["HTTP/1.1 200 OK", "HTTP/1.1 405 Method Not Allowed", "HTTP/1.1 200 OK"],
                    "\(result.stdout)\(result.stderr)")
        }
    }
}
