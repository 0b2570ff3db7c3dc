import Foundation
import PullGuardCore
import PullGuardTestSupport
import Testing

/// `pullguard --version` from the binary, checked against the libraries' own tools.
@Suite struct VersionTests {
    @Test func versionNamesPullGuardAndTheOpenSSLAndNGHTTP2ItRunsWith() throws {
        let result = try CommandRunner.run(PullGuardProcess.binary, ["--version"])
        #expect(result.exitCode == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(result.stdout)")
        #expect(lines.first == "pullguard \(PullGuardVersion.current)")

        // `openssl version` prints the library it loaded: the same libcrypto as ours.
        let openssl = try CommandRunner.run("openssl", ["version"])
        let openSSLLine = try #require(lines.first { $0.hasPrefix("OpenSSL 3.") }, "\(result.stdout)")
        let openSSLText = String(openSSLLine[..<(openSSLLine.range(of: " (0x")?.lowerBound ?? openSSLLine.endIndex)])
        #expect(openssl.stdout.contains(openSSLText), "ours: \(openSSLText); openssl: \(openssl.stdout)")
        #expect(openSSLLine.hasSuffix(")") && openSSLLine.contains("(0x3"), "\(openSSLLine)")

        let nghttp2 = try CommandRunner.run("pkg-config", ["--modversion", "libnghttp2"])
        #expect(lines.last == "nghttp2 \(nghttp2.stdout.trimmingCharacters(in: .whitespacesAndNewlines))")
    }
}
