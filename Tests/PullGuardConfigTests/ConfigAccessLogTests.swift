import Foundation
import Testing
@testable import PullGuardCore

/// `access_log:` and the request id keys: defaults, mapping, and bad values named by key path.
@Suite struct ConfigAccessLogTests {
    @Test func offByDefaultWithXRequestIDUntrusted() throws {
        let settings = try ConfigTestSupport.load(ConfigTestSupport.minimal())
        #expect(settings.accessLog.destination == .off)
        #expect(settings.proxy.requestID == RequestIDSettings(header: "X-Request-ID", trustClient: false))
    }

    @Test func pathsMap() throws {
        for (written, expected) in [("stdout", AccessLogSettings.Destination.stdout), ("stderr", .stderr), ("off", .off)] {
            let settings = try ConfigTestSupport.load(ConfigTestSupport.minimal(extra: "access_log: {path: \(written)}"))
            #expect(settings.accessLog.destination == expected)
        }
        let relative = try ConfigTestSupport.load(ConfigTestSupport.minimal(
            extra: "access_log: {path: access.log, format: json, refused_handshakes_per_second: 3}"))
        #expect(relative.accessLog.destination == .file(ConfigTestPKI.shared.path("access.log")))
        #expect(relative.accessLog.refusedHandshakesPerSecond == 3)
    }

    /// An empty path and a folder are refused by name, not read as files.
    @Test func pathsThatNameNoFileAreRefused() {
        for written in ["''", "/var/log/", "logs/"] {
            let problems = ConfigTestSupport.problems(ConfigTestSupport.minimal(extra: "access_log: {path: \(written)}"))
            #expect(problems.map(\.keyPath) == ["access_log.path"], "\(written)")
            #expect(problems.first?.message.contains("is not a file path") == true, "\(problems)")
        }
    }

    @Test func requestIDKeysMap() throws {
        let renamed = try ConfigTestSupport.load(ConfigTestSupport.minimal(
            extra: "headers: {request_id: X-Trace, trust_request_id: true}"))
        #expect(renamed.proxy.requestID == RequestIDSettings(header: "X-Trace", trustClient: true))
        let off = try ConfigTestSupport.load(ConfigTestSupport.minimal(extra: "headers: {request_id: off}"))
        #expect(off.proxy.requestID.header == nil)
    }

    @Test func badValuesNameTheirKey() {
        let yaml = ConfigTestSupport.minimal(extra: """
            access_log: {path: /no/such/folder/access.log, format: combined, refused_handshakes_per_second: -1, color: true}
            headers: {request_id: X-Client-Verify}
            """)
        let paths = ConfigTestSupport.problems(yaml).map(\.keyPath).sorted()
        #expect(paths == ["access_log.color", "access_log.format", "access_log.path",
                          "access_log.refused_handshakes_per_second", "headers.request_id"])
    }

    /// An identity header or the request id under a name that frames the request, routes
    /// it, or that PullGuard writes for another purpose would be sent upstream beside (or
    /// as) that field: `subject: Content-Length` gave every request a second length.
    @Test func namesThatFrameRouteOrAreTakenAreRefused() {
        for name in ["Content-Length", "transfer-encoding", "Host", "Connection", "Keep-Alive", "Upgrade", "TE",
                     "Trailer", "Proxy-Connection", "X-Forwarded-For", "x_forwarded_host", "Client-Cert",
                     "Client_Cert_Chain"] {
            for key in ["subject", "verify", "request_id"] {
                let problems = ConfigTestSupport.problems(ConfigTestSupport.minimal(extra: "headers: {\(key): \(name)}"))
                #expect(problems.map(\.keyPath) == ["headers.\(key)"], "\(key): \(name)")
                #expect(problems.first?.message.contains("PullGuard") == true, "\(problems)")
            }
        }
    }

    /// Two names that one upstream reads as the same variable once `_` is `-` (CGI, PHP).
    @Test func namesEqualOnceUnderscoreIsReadAsDashAreOne() {
        let identity = ConfigTestSupport.problems(ConfigTestSupport.minimal(
            extra: "headers: {subject: X-Who, issuer: x_who}"))
        #expect(identity.map(\.keyPath) == ["headers.issuer"])
        let id = ConfigTestSupport.problems(ConfigTestSupport.minimal(extra: "headers: {request_id: X_Client_Verify}"))
        #expect(id.map(\.keyPath) == ["headers.request_id"])
    }

    @Test func formatWithoutPathIsRefused() {
        let problems = ConfigTestSupport.problems(ConfigTestSupport.minimal(extra: "access_log: {format: json}"))
        #expect(problems.map(\.keyPath) == ["access_log.path"])
    }
}
