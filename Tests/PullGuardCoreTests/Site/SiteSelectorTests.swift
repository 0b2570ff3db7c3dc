import Testing
@testable import PullGuardCore
import PullGuardTestSupport

@Suite struct SiteSelectorTests {
    /// Sites named s0, s1, ... with these server names; no certificates (values only).
    static func table(_ serverNames: [[String]], defaultSiteName: String? = nil) throws -> SiteTable {
        try SiteTable(serverNames.enumerated().map { index, names in
            Site.tlsOnly(name: "s\(index)", serverNames: names, TLSSiteSettings(identities: [], trustSources: []))
        }, defaultSiteName: defaultSiteName)
    }

    let selector = SiteSelector(sites: try! table([["example.com"], ["*.example.org", "api.test"]]), unknownSNI: .defaultSite)

    @Test func exactNameCaseInsensitive() {
        #expect(selector.choose(serverName: "API.test") == .site(SiteID(index: 1)))
    }

    @Test func wildcardMatchesOneLabelOnly() {
        #expect(selector.choose(serverName: "www.example.org") == .site(SiteID(index: 1)))
        #expect(selector.choose(serverName: "a.b.example.org") == .site(SiteID(index: 0)))
        #expect(selector.choose(serverName: "example.org") == .site(SiteID(index: 0)))
    }

    @Test func noSNIGetsTheDefaultSite() {
        #expect(selector.choose(serverName: nil) == .site(SiteID(index: 0)))
    }

    @Test func theDefaultSiteIsTheTablesResolvedOnce() throws {
        let second = SiteSelector(sites: try Self.table([["example.com"], ["api.test"]], defaultSiteName: "s1"), unknownSNI: .defaultSite)
        #expect(second.choose(serverName: nil) == .site(SiteID(index: 1)))
        #expect(second.choose(serverName: "other.test") == .site(SiteID(index: 1)))
        #expect(second.choose(serverName: "example.com") == .site(SiteID(index: 0)))
    }

    @Test func unknownSNIRejectedWhenAsked() throws {
        let strict = SiteSelector(sites: try Self.table([["example.com"]]), unknownSNI: .reject)
        #expect(strict.choose(serverName: "other.test") == .reject)
        #expect(strict.choose(serverName: nil) == .site(SiteID(index: 0)))
    }

    @Test func aTableNeedsASiteAndAKnownDefault() throws {
        #expect(throws: SiteTableError.noSites) { try SiteTable([]) }
        #expect(throws: SiteTableError.unknownDefaultSite("nope")) { try Self.table([["a.test"]], defaultSiteName: "nope") }
    }
}
