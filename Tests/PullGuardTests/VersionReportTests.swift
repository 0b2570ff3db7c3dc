import Testing
@testable import PullGuard
import PullGuardCore

/// `pullguard --version`'s text (the binary's output: VersionTests).
@Suite struct VersionReportTests {
    @Test func threeLinesWithTheOpenSSLNumberInHex() {
        #expect(VersionReport.lines(pullguard: "1.2.3", openSSL: "OpenSSL 3.0.17 1 Jul 2025", openSSLNumber: 0x3000_0110,
                                    nghttp2: "1.52.0")
            == ["pullguard 1.2.3", "OpenSSL 3.0.17 1 Jul 2025 (0x30000110)", "nghttp2 1.52.0"])
    }

    @Test func reportStartsWithTheOneVersionConstant() {
        #expect(VersionReport.text.hasPrefix("pullguard \(PullGuardVersion.current)\nOpenSSL 3."))
    }
}
