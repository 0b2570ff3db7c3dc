import Testing
@testable import PullGuardCore

@Suite struct SiteSelectorTests {
    let selector = SiteSelector(serverNames: [["example.com"], ["*.example.org", "api.test"]], defaultIndex: 0, unknownSNI: .defaultSite)

    @Test func exactNameCaseInsensitive() {
        #expect(selector.choose(serverName: "API.test") == .site(1))
    }

    @Test func wildcardMatchesOneLabelOnly() {
        #expect(selector.choose(serverName: "www.example.org") == .site(1))
        #expect(selector.choose(serverName: "a.b.example.org") == .site(0))
        #expect(selector.choose(serverName: "example.org") == .site(0))
    }

    @Test func noSNIGetsTheDefaultSite() {
        #expect(selector.choose(serverName: nil) == .site(0))
    }

    @Test func unknownSNIRejectedWhenAsked() {
        let strict = SiteSelector(serverNames: [["example.com"]], defaultIndex: 0, unknownSNI: .reject)
        #expect(strict.choose(serverName: "other.test") == .reject)
        #expect(strict.choose(serverName: nil) == .site(0))
    }
}
