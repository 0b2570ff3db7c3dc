import NIOHTTP1
import Testing
import PullGuardTestSupport
@testable import PullGuardCore

/// The proxy reaches the site TLS chose by the identity on the established event (an
/// index into the configuration's `SiteTable`), never by its name: in memory, the
/// upstream each request is sent to is read from the pool.
@Suite struct ProxySiteIdentityTests {
    /// Three sites, each with its own upstream port.
    static let sites = SiteTable(testing: [
        Site.forwarding(name: "a", serverNames: ["a.example"], upstream: .init(host: "127.0.0.1", port: 8001)),
        Site.forwarding(name: "b", serverNames: ["b.example"], upstream: .init(host: "127.0.0.1", port: 8002)),
        Site.forwarding(name: "c", serverNames: ["c.example"], upstream: .init(host: "127.0.0.1", port: 8003)),
    ])

    func event(site: SiteID, siteName: String) -> TLSConnectionEstablished {
        TLSConnectionEstablished(site: site, siteName: siteName, serverName: nil, alpn: "http/1.1", protocolVersion: "TLSv1.3",
                                 cipher: "TLS_AES_128_GCM_SHA256", resumed: false, verification: .none)
    }

    @Test(arguments: [0, 1, 2]) func eachSitesConnectionGoesToItsOwnUpstream(index: Int) throws {
        let site = Self.sites[index]
        let proxy = try InMemoryProxy(settings: ProxySettings(), sites: Self.sites,
                                      established: event(site: SiteID(index: index), siteName: site.name))
        proxy.send("GET /x HTTP/1.1\r\nHost: \(site.serverNames[0])\r\n\r\n")
        #expect(proxy.upstreamAddresses == [site.proxy.upstream])
        #expect(try proxy.upstreamRequests().map(\.target) == ["/x"])
    }

    /// The name on the event is for logs only: an event whose name says "a" but whose
    /// identity is b's is served as b (its upstream, and b's Host binding).
    @Test func theIdentityDecidesNotTheName() throws {
        let proxy = try InMemoryProxy(settings: ProxySettings(), sites: Self.sites,
                                      established: event(site: SiteID(index: 1), siteName: "a"))
        proxy.send("GET / HTTP/1.1\r\nHost: b.example\r\n\r\n")
        #expect(proxy.upstreamAddresses == [UpstreamAddress(host: "127.0.0.1", port: 8002)])
        try proxy.respond()
        #expect(try proxy.clientText().hasPrefix("HTTP/1.1 200 OK\r\n"))
        proxy.send("GET / HTTP/1.1\r\nHost: a.example\r\n\r\n")
        #expect(try proxy.clientText().hasPrefix("HTTP/1.1 421 Misdirected Request\r\n"))
    }

    /// An identity from another table (a site this configuration does not have) fails
    /// closed: nothing is forwarded.
    @Test func anIdentityOutsideTheTableIsRefused() throws {
        let proxy = try InMemoryProxy(settings: ProxySettings(), sites: Self.sites,
                                      established: event(site: SiteID(index: 3), siteName: "d"))
        proxy.send("GET / HTTP/1.1\r\nHost: a.example\r\n\r\n")
        #expect(proxy.upstreams.isEmpty)
        #expect(try !proxy.clientText().hasPrefix("HTTP/1.1 200"))
        #expect(!proxy.client.isActive)
    }
}
