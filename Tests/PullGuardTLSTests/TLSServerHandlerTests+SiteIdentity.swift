import Testing
import PullGuardTestSupport
@testable import PullGuardOpenSSL
@testable import PullGuardCore

/// The established event names the site SNI chose by its identity in the `SiteTable`
/// (what the proxy indexes its per-site state by), not only by name.
extension TLSServerHandlerTests {
    /// Three sites, the default one last, so "the first site", "the default site" and
    /// "the chosen site" are three different identities.
    func threeSites() throws -> ServerContextSet {
        let table = try SiteTable(
            [site(name: "a", names: ["a.test"]), site(name: "b", names: ["*.b.test"]), site(name: "c", names: ["localhost"])],
            defaultSiteName: "c")
        #expect(table.defaultSite == SiteID(index: 2))
        return try ServerContextSet(sites: table)
    }

    func establishedSite(_ set: ServerContextSet, serverName: String?) throws -> TLSConnectionEstablished {
        var settings = client(pki.client)
        settings.verifyServer = false
        let result = try InMemoryHandshake.run(contexts: set, client: settings, serverName: serverName)
        return try #require(result.established, "the handshake did not complete")
    }

    @Test func establishedEventCarriesTheSiteIdentitySNIChose() throws {
        let set = try threeSites()
        let exact = try establishedSite(set, serverName: "a.test")
        #expect(exact.site == SiteID(index: 0))
        #expect(exact.siteName == "a")
        let wildcard = try establishedSite(set, serverName: "api.b.test")
        #expect(wildcard.site == SiteID(index: 1))
        #expect(wildcard.siteName == "b")
    }

    @Test func withoutOrWithUnknownSNITheDefaultSitesIdentityIsCarried() throws {
        let set = try threeSites()
        #expect(try establishedSite(set, serverName: nil).site == SiteID(index: 2))
        #expect(try establishedSite(set, serverName: "nowhere.test").site == SiteID(index: 2))
    }
}
