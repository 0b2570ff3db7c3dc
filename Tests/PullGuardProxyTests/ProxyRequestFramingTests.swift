import NIOHTTP1
import Testing
import PullGuardTestSupport
@testable import PullGuardCore

/// Issue 8, item 2: what a strict upstream parses from what the proxy forwards, in
/// memory (`InMemoryProxy`). Every smuggling attempt must reach the upstream as
/// exactly one request, framed as the decoder framed it.
@Suite struct ProxyRequestFramingTests {
    /// A second request hidden in the first one's body, carrying a forged verdict.
    static let smuggled = "GET /admin HTTP/1.1\r\nHost: a.example\r\nX-Client-Verify: SUCCESS\r\n\r\n"

    func expectOneRequest(_ proxy: InMemoryProxy, method: String, body: String,
                          sourceLocation: SourceLocation = #_sourceLocation) throws {
        let requests = try proxy.upstreamRequests()
        #expect(requests.count == 1, "upstream parsed \(requests.map { "\($0.method) \($0.target)" })",
                sourceLocation: sourceLocation)
        guard let request = requests.first else { return }
        #expect(request.method == method, sourceLocation: sourceLocation)
        #expect(request.bodyText == body, sourceLocation: sourceLocation)
        #expect(request.values("x-client-verify") == ["NONE"], sourceLocation: sourceLocation)
        #expect(request.values("host") == ["a.example"], sourceLocation: sourceLocation)
    }

    @Test func connectionNamingContentLengthCannotUnframeTheBody() throws {
        let proxy = try InMemoryProxy()
        proxy.send("GET / HTTP/1.1\r\nHost: a.example\r\nContent-Length: \(Self.smuggled.utf8.count)\r\n"
                   + "Connection: Content-Length\r\n\r\n" + Self.smuggled)
        try expectOneRequest(proxy, method: "GET", body: Self.smuggled)
        #expect(try proxy.upstreamRequests().first?.values("content-length") == ["\(Self.smuggled.utf8.count)"])
    }

    @Test func optionsWithKeepAliveAndContentLengthTokens() throws {
        let proxy = try InMemoryProxy()
        proxy.send("OPTIONS * HTTP/1.1\r\nHost: a.example\r\nContent-Length: \(Self.smuggled.utf8.count)\r\n"
                   + "Connection: keep-alive, content-length\r\n\r\n" + Self.smuggled)
        try expectOneRequest(proxy, method: "OPTIONS", body: Self.smuggled)
    }

    @Test func connectionNamingHostCannotStripIt() throws {
        let proxy = try InMemoryProxy()
        proxy.send("GET / HTTP/1.1\r\nHost: a.example\r\nConnection: Host, X-Drop-Me\r\nX-Drop-Me: 1\r\n\r\n")
        try expectOneRequest(proxy, method: "GET", body: "")
        #expect(try proxy.upstreamRequests().first?.values("x-drop-me") == [])
    }

    @Test func connectionNamingTransferEncodingKeepsTheChunking() throws {
        let proxy = try InMemoryProxy()
        proxy.send("GET / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n"
                   + "Connection: transfer-encoding\r\n\r\n"
                   + String(Self.smuggled.utf8.count, radix: 16) + "\r\n" + Self.smuggled + "\r\n0\r\n\r\n")
        try expectOneRequest(proxy, method: "GET", body: Self.smuggled)
        #expect(try proxy.upstreamRequests().first?.values("transfer-encoding") == ["chunked"])
    }

    /// NIO's encoder would strip TRACE's framing and write its body raw; nginx answers 405.
    @Test func traceWithABodyIs405AndNeverForwarded() throws {
        let proxy = try InMemoryProxy()
        proxy.send("TRACE / HTTP/1.1\r\nHost: a.example\r\nContent-Length: \(Self.smuggled.utf8.count)\r\n\r\n"
                   + Self.smuggled)
        let response = try proxy.clientText()
        #expect(response.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"), "\(response)")
        #expect(proxy.upstreams.isEmpty)
        // The body was framed, so it is drained and the connection serves the next request.
        #expect(proxy.client.isActive)
        proxy.send("GET /next HTTP/1.1\r\nHost: a.example\r\n\r\n")
        let requests = try proxy.upstreamRequests()
        #expect(requests.map(\.target) == ["/next"])
    }

    @Test func connectIs405AndClosed() throws {
        let proxy = try InMemoryProxy()
        proxy.send("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n" + Self.smuggled)
        let response = try proxy.clientText()
        #expect(response.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"), "\(response)")
        #expect(response.lowercased().contains("\r\nconnection: close\r\n"))
        // NIO's response encoder sends no body in a response to CONNECT (any status):
        // the head alone, then the close.
        #expect(response.hasSuffix("\r\n\r\n"), "\(response)")
        #expect(proxy.upstreams.isEmpty)
        #expect(!proxy.client.isActive)
    }

    @Test func transferCodingOtherThanChunkedIs501() throws {
        let proxy = try InMemoryProxy()
        proxy.send("POST / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        let response = try proxy.clientText()
        #expect(response.hasPrefix("HTTP/1.1 501 Not Implemented\r\n"), "\(response)")
        #expect(proxy.upstreams.isEmpty)
        #expect(!proxy.client.isActive)
    }

    /// The decoder refuses these itself; checked so a lenient decoder would be noticed.
    @Test(arguments: [
        "POST / HTTP/1.1\r\nHost: a.example\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a.example\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        "POST / HTTP/1.1\r\nHost: a.example\r\nContent-Length: +3\r\n\r\nabc",
        "POST / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked, identity\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    ])
    func contradictoryFramingNeverReachesTheUpstream(request: String) throws {
        let proxy = try InMemoryProxy()
        proxy.send(request)
        let response = try proxy.clientText()
        #expect(response.hasPrefix("HTTP/1.1 400 ") || response.hasPrefix("HTTP/1.1 501 "), "\(response)")
        #expect(proxy.upstreams.isEmpty)
    }

    /// Spaces around a length are optional whitespace, not a different length.
    @Test func lengthWithSurroundingSpacesIsForwarded() throws {
        let proxy = try InMemoryProxy()
        proxy.send("POST / HTTP/1.1\r\nHost: a.example\r\nContent-Length:  3 \r\n\r\nabc")
        try expectOneRequest(proxy, method: "POST", body: "abc")
        #expect(try proxy.upstreamRequests().first?.values("content-length") == ["3"])
    }

    /// Trailers would pass anti-spoofing by: they are dropped.
    @Test func requestTrailersAreDropped() throws {
        let proxy = try InMemoryProxy()
        proxy.send("POST /upload HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\nTE: trailers\r\n\r\n"
                   + "3\r\nabc\r\n0\r\nX-Client-Verify: SUCCESS\r\nX-Other-Trailer: 1\r\n\r\n")
        let requests = try proxy.upstreamRequests()
        #expect(requests.count == 1)
        #expect(requests.first?.bodyText == "abc")
        #expect(requests.first?.trailers.isEmpty == true)
        #expect(requests.first?.values("x-client-verify") == ["NONE"])
        #expect(try !String(decoding: proxy.upstreamBytes(), as: UTF8.self).contains("SUCCESS"))
    }

    /// Every method NIO's encoder frames differently (`.yes`: POST, PUT, PATCH;
    /// `.unlikely`: GET, HEAD, OPTIONS, DELETE and unknown methods), with a
    /// `Content-Length` body, a chunked body, and no body: one request upstream,
    /// with the same body, each time; then the response goes back to the client.
    @Test(arguments: ["GET", "HEAD", "OPTIONS", "DELETE", "POST", "PUT", "PATCH", "PURGE", "PROPFIND"],
          ["length", "chunked", "none"])
    func everyMethodIsForwardedWithExplicitFraming(method: String, body: String) throws {
        let proxy = try InMemoryProxy()
        let head = "\(method) /x HTTP/1.1\r\nHost: a.example\r\nConnection: content-length, transfer-encoding\r\n"
        switch body {
        case "length": proxy.send(head + "Content-Length: \(Self.smuggled.utf8.count)\r\n\r\n" + Self.smuggled)
        case "chunked": proxy.send(head + "Transfer-Encoding: chunked\r\n\r\n"
                                   + String(Self.smuggled.utf8.count, radix: 16) + "\r\n" + Self.smuggled + "\r\n0\r\n\r\n")
        default: proxy.send(head + "\r\n")
        }
        try expectOneRequest(proxy, method: method, body: body == "none" ? "" : Self.smuggled)
        try proxy.respond()
        #expect(try proxy.clientText().hasPrefix("HTTP/1.1 200 OK\r\n"))
    }

    /// Look-alikes of the names PullGuard sets are never forwarded; other names with
    /// `_` only with `headers.allow_underscores`.
    @Test(arguments: [false, true]) func underscoreNames(allow: Bool) throws {
        var settings = ProxySettings()
        settings.allowUnderscoresInHeaders = allow
        let proxy = try InMemoryProxy(settings: settings)
        proxy.send("GET / HTTP/1.1\r\nHost: a.example\r\nX_Forwarded_For: 6.6.6.6\r\nX_Forwarded_Proto: http\r\n"
                   + "x_forwarded_host: evil.example\r\nCF_Connecting_IP: 6.6.6.6\r\nTrue_Client_IP: 6.6.6.6\r\n"
                   + "X_Client_Verify: SUCCESS\r\nMy_Header: kept-only-if-allowed\r\nX-Plain: 1\r\n\r\n")
        let request = try #require(try proxy.upstreamRequests().first)
        let underscored = request.headers.filter { $0.name.contains("_") }.map(\.name)
        #expect(underscored == (allow ? ["My_Header"] : []))
        #expect(request.values("x-forwarded-for") == ["192.0.2.1"])
        #expect(request.values("x-forwarded-proto") == ["https"])
        #expect(request.values("x-plain") == ["1"])
    }
}

/// Issue 8, item 5 through the proxy handler: Host resolves with SNI's precedence.
@Suite struct ProxyHostPrecedenceTests {
    /// `w` has `*.example.com`, `adm` has `admin.example.com`; one upstream for both.
    static let sites = SiteTable(testing: [
        Site.forwarding(name: "w", serverNames: ["*.example.com"], upstream: .init(host: "127.0.0.1", port: 8080)),
        Site.forwarding(name: "adm", serverNames: ["admin.example.com"], upstream: .init(host: "127.0.0.1", port: 8080)),
    ])

    @Test func wildcardSitesConnectionNamingTheExactSiteGets421() throws {
        let proxy = try InMemoryProxy(sites: Self.sites, site: "w")
        proxy.send("GET /admin HTTP/1.1\r\nHost: admin.example.com\r\n\r\n")
        #expect(try proxy.clientText().hasPrefix("HTTP/1.1 421 Misdirected Request\r\n"))
        #expect(proxy.upstreams.isEmpty)
        proxy.send("GET / HTTP/1.1\r\nHost: x.example.com\r\n\r\n")
        #expect(try proxy.upstreamRequests().map(\.target) == ["/"])
    }
}
