import Testing
@testable import PullGuardHTTP

@Suite struct HeaderNameMatcherTests {
    @Test func matchesCaseInsensitivelyOnly() {
        let matcher = HeaderNameMatcher(["connection", "te"])
        #expect(matcher.matches("Connection"))
        #expect(matcher.matches("CONNECTION"))
        #expect(matcher.matches("TE"))
        #expect(!matcher.matches("User-Agent"), "same length as connection, other name")
        #expect(!matcher.matches("connectio"))
        #expect(!matcher.matches("connection-x"))
        #expect(!matcher.matches(""))
    }

    @Test func underscoreCountsAsDashOnlyWhenAsked() {
        let normalized = HeaderNameMatcher(["x-client-verify"], underscoreIsDash: true)
        #expect(normalized.matches("X_Client_Verify"))
        #expect(normalized.matches("x-client_VERIFY"))
        let plain = HeaderNameMatcher(["x-client-verify"])
        #expect(!plain.matches("X_Client_Verify"))
        #expect(plain.matches("X-Client-Verify"))
    }
}
