import Testing
@testable import PullGuardCore

@Suite struct ServerNameTableTests {
    let table = ServerNameTable(serverNames: [["*.example.com"], ["admin.example.com", "API.test"], ["*.b.example.com"]])

    @Test func exactBeforeWildcardWhateverTheSiteOrder() {
        #expect(table.site(for: "admin.example.com") == 1)
        #expect(table.site(for: "x.example.com") == 0)
    }

    @Test func configuredNamesAreLowerCased() {
        #expect(table.site(for: "api.test") == 1)
    }

    @Test func wildcardMatchesExactlyOneLabel() {
        #expect(table.site(for: "example.com") == nil)
        #expect(table.site(for: ".example.com") == nil)
        #expect(table.site(for: "x.b.example.com") == 2)
        #expect(table.site(for: "x.y.c.example.com") == nil)
        #expect(table.site(for: "unrelated.test") == nil)
    }
}
