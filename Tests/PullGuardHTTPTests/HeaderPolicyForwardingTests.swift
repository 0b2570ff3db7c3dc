import NIOHTTP1
import Testing
@testable import PullGuardHTTP

@Suite struct HTTPHeaderPolicyForwardingTests {
    @Test func appendsPeerToExistingForwardedFor() {
        var headers = HTTPHeaders([("X-Forwarded-For", "203.0.113.5"), ("x-forwarded-for", "10.1.1.1")])
        HeaderPolicy.addForwarding(to: &headers, clientIP: "192.0.2.1", originalHost: "a.example:8443")
        #expect(headers[canonicalForm: "x-forwarded-for"] == ["203.0.113.5", "10.1.1.1", "192.0.2.1"])
        #expect(headers["X-Forwarded-For"] == ["203.0.113.5, 10.1.1.1, 192.0.2.1"])
        #expect(headers["X-Forwarded-Proto"] == ["https"])
        #expect(headers["X-Forwarded-Host"] == ["a.example:8443"])
    }

    @Test func setsForwardedForWhenAbsentAndReplacesProtoAndHost() {
        var headers = HTTPHeaders([("X-Forwarded-Proto", "http"), ("X-Forwarded-Host", "evil.example")])
        HeaderPolicy.addForwarding(to: &headers, clientIP: "::1", originalHost: "a.example")
        #expect(headers["X-Forwarded-For"] == ["::1"])
        #expect(headers["X-Forwarded-Proto"] == ["https"])
        #expect(headers["X-Forwarded-Host"] == ["a.example"])
    }
}
