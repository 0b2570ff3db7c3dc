import NIOHTTP1
import Testing
@testable import PullGuardCore
@testable import PullGuardHTTP
import PullGuardTestSupport

@Suite struct HTTPHostBindingTests {
    let sites = SiteTable(testing: [
        Site.forwarding(name: "a", serverNames: ["a.example", "*.a.example"], upstream: .init(host: "127.0.0.1", port: 1)),
        Site.forwarding(name: "b", serverNames: ["b.example"], upstream: .init(host: "127.0.0.1", port: 2)),
    ])

    func decide(_ host: String?, site: String = "a", version: HTTPVersion = .http1_1) -> HostBinding.Decision {
        HostBinding.decide(host: host, version: version, selectedSite: site, sites: sites)
    }

    @Test func ownNamesForward() {
        #expect(decide("a.example") == .forward)
        #expect(decide("A.Example:8443") == .forward)
        #expect(decide("www.a.example") == .forward)
        #expect(decide("a.example.") == .forward)
    }

    @Test func otherSitesNameIsMisdirected() {
        #expect(decide("b.example") == .misdirected(otherSite: "b"))
        #expect(decide("B.EXAMPLE:443") == .misdirected(otherSite: "b"))
        #expect(decide("a.example", site: "b") == .misdirected(otherSite: "a"))
    }

    @Test func unknownHostGoesToSelectedSite() {
        #expect(decide("127.0.0.1:8443") == .forward)
        #expect(decide("[::1]:8443") == .forward)
        #expect(decide("unrelated.example") == .forward)
    }

    @Test func wildcardMatchesExactlyOneLabel() {
        let sites = SiteTable(testing: [
            Site.forwarding(name: "a", serverNames: ["*.a.example"], upstream: .init(host: "127.0.0.1", port: 1)),
            Site.forwarding(name: "b", serverNames: ["b.example"], upstream: .init(host: "127.0.0.1", port: 2)),
        ])
        func decide(_ host: String) -> HostBinding.Decision {
            HostBinding.decide(host: host, version: .http1_1, selectedSite: "b", sites: sites)
        }
        #expect(decide("x.a.example") == .misdirected(otherSite: "a"))
        #expect(decide("a.example") == .forward)
        #expect(decide("x.y.a.example") == .forward)
        #expect(decide(".a.example") == .forward)
    }

    @Test func missingOrBrokenHost() {
        #expect(decide(nil) == .badRequest)
        #expect(decide(nil, version: .http1_0) == .forward)
        #expect(decide("") == .badRequest)
        #expect(decide("a.example:80x") == .badRequest)
        #expect(decide("[::1") == .badRequest)
    }

    /// ASCII values are parsed on bytes, others on `Character`s: both must give the
    /// same answer for every shape of value.
    @Test func byteAndCharacterParsesAgree() {
        let values = [
            "a.example", "A.Example:8443", " a.example\t", "a.example.", "a.example..", ".", "", "  ", "\t",
            "[::1]", "[::1]:8443", "[::1]:", "[::1]x", "[::1", "[]", "[]:1", "a.example:", "a.example:80x",
            "a.example:-1", ":80", "a b", "a/b", "u@a.example", "a,b", "a.example:8443:1", "A.EXAMPLE.:443",
            "bücher.example", "BÜCHER.example:443", "[fe80::1%eth0]:1", "x.y.z.example.",
        ]
        for value in values {
            #expect(HostBinding.hostName(fromHostHeader: value) == HostBinding.unicodeHostName(value), "\(value)")
        }
        #expect(HostBinding.hostName(fromHostHeader: " A.Example.:8443 ") == "a.example")
        #expect(HostBinding.hostName(fromHostHeader: "[::1]:8443") == "::1")
        #expect(HostBinding.hostName(fromHostHeader: "BÜCHER.example") == "bücher.example")
        #expect(HostBinding.hostName(fromHostHeader: "a.example:80x") == nil)
    }

    @Test func upperCaseConfiguredNamesStillMatch() {
        let sites = SiteTable(testing: [
            Site.forwarding(name: "a", serverNames: ["A.Example", "*.B.Example"], upstream: .init(host: "127.0.0.1", port: 1)),
            Site.forwarding(name: "c", serverNames: ["c.example"], upstream: .init(host: "127.0.0.1", port: 1)),
        ])
        #expect(HostBinding.decide(host: "a.example", version: .http1_1, selectedSite: "c", sites: sites)
                == .misdirected(otherSite: "a"))
        #expect(HostBinding.decide(host: "x.b.example", version: .http1_1, selectedSite: "c", sites: sites)
                == .misdirected(otherSite: "a"))
    }
}

/// Issue 8, item 5: Host resolves to a site with exactly SNI's precedence.
@Suite struct HTTPHostBindingPrecedenceTests {
    /// `w` has the wildcard, `adm` the exact name under it, with stricter trust; both
    /// share one upstream, which must not matter.
    let sites = SiteTable(testing: [
        Site.forwarding(name: "w", serverNames: ["*.example.com"], upstream: .init(host: "127.0.0.1", port: 1)),
        Site.forwarding(name: "adm", serverNames: ["admin.example.com"], upstream: .init(host: "127.0.0.1", port: 1)),
    ])

    func decide(_ host: String, selected: String) -> HostBinding.Decision {
        HostBinding.decide(host: host, version: .http1_1, selectedSite: selected, sites: sites)
    }

    @Test func exactNameOfAnotherSiteBeatsTheSelectedSitesWildcard() {
        #expect(decide("admin.example.com", selected: "w") == .misdirected(otherSite: "adm"))
        #expect(decide("ADMIN.example.com.:443", selected: "w") == .misdirected(otherSite: "adm"))
        #expect(decide("x.example.com", selected: "w") == .forward)
        #expect(decide("admin.example.com", selected: "adm") == .forward)
        #expect(decide("x.example.com", selected: "adm") == .misdirected(otherSite: "w"))
    }

    /// Whatever SNI would pick for a name is what Host binding accepts for it.
    @Test func agreesWithSiteSelectorForEveryName() {
        let selector = SiteSelector(sites: sites, unknownSNI: .defaultSite)
        for name in ["admin.example.com", "x.example.com", "a.b.example.com", "example.com", "other.test"] {
            guard case .site(let id) = selector.choose(serverName: name) else { continue }
            let chosen = sites[id].name
            let claimed = ServerNameTable(serverNames: sites.map(\.serverNames)).site(for: name) != nil
            #expect(decide(name, selected: chosen) == .forward, "\(name)")
            if claimed {
                for other in sites.map(\.name) where other != chosen {
                    #expect(decide(name, selected: other) == .misdirected(otherSite: chosen), "\(name) on \(other)")
                }
            }
        }
    }

    @Test func absoluteFormTargetUsesTheSamePrecedence() {
        #expect(HostBinding.decide(hostHeaders: ["x.example.com"], uri: "http://admin.example.com/", version: .http1_1,
                                   selectedSite: "w", sites: sites) == .misdirected(otherSite: "adm"))
    }
}

@Suite struct HTTPHostBindingSmugglingTests {
    let sites = SiteTable(testing: [
        Site.forwarding(name: "a", serverNames: ["a.example"], upstream: .init(host: "127.0.0.1", port: 1)),
        Site.forwarding(name: "b", serverNames: ["b.example"], upstream: .init(host: "127.0.0.1", port: 2)),
    ])

    func decide(_ hosts: [String], uri: String = "/") -> HostBinding.Decision {
        HostBinding.decide(hostHeaders: hosts, uri: uri, version: .http1_1, selectedSite: "a", sites: sites)
    }

    @Test func twoHostHeadersAreBadRequest() {
        #expect(decide(["a.example", "b.example"]) == .badRequest)
        #expect(decide(["a.example,b.example"]) == .badRequest)
    }

    @Test func absoluteFormAuthorityIsBoundToo() {
        #expect(decide(["a.example"], uri: "http://b.example/x") == .misdirected(otherSite: "b"))
        #expect(decide(["a.example"], uri: "http://A.example:443/x?y") == .forward)
        #expect(decide(["a.example"], uri: "http://u@b.example/") == .badRequest)
    }

    /// The form the HTTP/2 path calls, with `:authority` and `:path`.
    @Test func aTargetNamingAHostIsBoundBesideTheAuthority() {
        func decide(_ authority: String?, _ path: String) -> HostBinding.Decision {
            HostBinding.decide(host: authority, uri: path, version: .http1_1, selectedSite: sites.id(named: "a"), sites: sites)
        }
        #expect(decide("a.example", "/x") == .forward)
        #expect(decide("a.example", "*") == .forward)
        #expect(decide("a.example", "http://b.example/x") == .misdirected(otherSite: "b"))
        #expect(decide("b.example", "http://a.example/") == .misdirected(otherSite: "b"))
        #expect(decide(nil, "/") == .badRequest)
    }
}

/// The tests say which site TLS selected by its name; the server hands over the identity.
extension HostBinding {
    /// A single optional `Host` value and an origin-form target.
    static func decide(host: String?, version: HTTPVersion, selectedSite: String, sites: SiteTable) -> Decision {
        decide(host: host, uri: "/", version: version, selectedSite: sites.id(named: selectedSite), sites: sites)
    }

    static func decide(hostHeaders: [String], uri: String, version: HTTPVersion, selectedSite: String,
                       sites: SiteTable) -> Decision {
        decide(hostHeaders: hostHeaders, uri: uri, version: version, selectedSite: sites.id(named: selectedSite), sites: sites)
    }
}
