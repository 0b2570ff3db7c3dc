import Testing
@testable import PullGuardHTTP2

/// libnghttp2 links and is the library the headers describe (the HTTP/2 milestone builds on it).
@Suite struct NGHTTP2LibraryTests {
    @Test func runtimeMatchesHeaders() {
        #expect(!NGHTTP2Library.runtimeVersion.isEmpty)
        #expect(NGHTTP2Library.runtimeVersion == NGHTTP2Library.headerVersion)
    }

    @Test func alpnTokenIsH2() {
        #expect(NGHTTP2Library.alpnToken == "h2")
    }
}
