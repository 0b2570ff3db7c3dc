import Foundation
import Testing
import PullGuardTestSupport

/// The real binary, real curl, TLS 1.2 and 1.3: one client-certificate scenario per test.
/// Each asserts the exact outcome and, for refusals, that the upstream saw nothing.
@Suite(.serialized) struct ClientVerificationTests {
    static let versions = ["1.2", "1.3"]

    /// A refused handshake: curl failed with this alert and no request reached the upstream.
    func expectRefused(_ result: ProxyScenario.CurlResult, alert: String, _ scenario: ProxyScenario,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == nil, "expected no HTTP response, got \(String(describing: result.status))", sourceLocation: sourceLocation)
        let sawAlert = result.stderr.contains("alert \(alert)") || result.stderr.contains("TLS alert, \(alert)")
        #expect(sawAlert, "curl said: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(scenario.upstream.requests.isEmpty, sourceLocation: sourceLocation)
    }

    @Test(arguments: versions) func goodLeafUnderRoot(tls: String) async throws {
        try await ProxyScenario.withSite { (scenario) async throws in
            let result = try scenario.curl(client: "client", tls: tls)
            #expect(result.status == 200)
            let request = try #require(scenario.upstream.requests.first)
            #expect(request.headers["X-Client-Verify"] == ["SUCCESS"])
            #expect(request.headers["X-Client-Cert-Subject"] == ["CN=client,O=PullGuard Tests"])
            #expect(request.headers["X-Forwarded-Proto"] == ["https"])
        }
    }

    /// An RSA client key, decoded and checked on OpenSSL's direct RSA path (RSA-PSS
    /// CertificateVerify in TLS 1.3).
    @Test(arguments: versions) func rsaLeafUnderRoot(tls: String) async throws {
        try await ProxyScenario.withSite { (scenario) async throws in
            #expect(try scenario.curl(client: "client-rsa", tls: tls).status == 200)
            #expect(scenario.upstream.requests.first?.headers["X-Client-Cert-Subject"] == ["CN=client-rsa,O=PullGuard Tests"])
        }
    }

    @Test(arguments: versions) func goodLeafUnderIntermediate(tls: String) async throws {
        try await ProxyScenario.withSite { (scenario) async throws in
            let result = try scenario.curl(client: "client-via-intermediate", tls: tls)
            #expect(result.status == 200)
            #expect(scenario.upstream.requests.first?.headers["X-Client-Cert-Issuer"] == ["CN=PullGuard Test Intermediate"])
        }
    }

    @Test(arguments: versions) func chainDeeperThanTheLimit(tls: String) async throws {
        try await ProxyScenario.withSite(["--verify-depth", "1"]) { (scenario) async throws in
            expectRefused(try scenario.curl(client: "client-two-deep", tls: tls), alert: "unknown ca", scenario)
            #expect(await scenario.proxy.eventuallyLogs("verify_error=X509_V_ERR_CERT_CHAIN_TOO_LONG"), "the refusal line was not written")
        }
    }

    @Test(arguments: versions) func intermediateAllowedWhenDepthIsRaised(tls: String) async throws {
        try await ProxyScenario.withSite(["--verify-depth", "2"]) { (scenario) async throws in
            #expect(try scenario.curl(client: "client-two-deep", tls: tls).status == 200)
        }
    }

    @Test(arguments: versions) func expired(tls: String) async throws {
        try await ProxyScenario.withSite { (scenario) async throws in
            expectRefused(try scenario.curl(client: "expired", tls: tls), alert: "certificate expired", scenario)
        }
    }

    @Test(arguments: versions) func notYetValid(tls: String) async throws {
        try await ProxyScenario.withSite { (scenario) async throws in
            expectRefused(try scenario.curl(client: "not-yet-valid", tls: tls), alert: "bad certificate", scenario)
            #expect(await scenario.proxy.eventuallyLogs("verify_error=X509_V_ERR_CERT_NOT_YET_VALID"), "the refusal line was not written")
        }
    }

    @Test(arguments: versions) func signedByAnUnknownCA(tls: String) async throws {
        try await ProxyScenario.withSite { (scenario) async throws in
            expectRefused(try scenario.curl(client: "other-ca-client", tls: tls), alert: "unknown ca", scenario)
        }
    }

    @Test(arguments: versions) func selfSigned(tls: String) async throws {
        try await ProxyScenario.withSite { (scenario) async throws in
            expectRefused(try scenario.curl(client: "self-signed", tls: tls), alert: "unknown ca", scenario)
            #expect(await scenario.proxy.eventuallyLogs("verify_error=X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT"))
        }
    }

    @Test(arguments: versions) func serverAuthOnlyEKU(tls: String) async throws {
        try await ProxyScenario.withSite { (scenario) async throws in
            expectRefused(try scenario.curl(client: "server-auth-only", tls: tls), alert: "unsupported certificate", scenario)
        }
    }

    @Test(arguments: versions) func revokedByCRL(tls: String) async throws {
        try await ProxyScenario.withSite(["--crl", ProxyScenario.file("root.crl")]) { (scenario) async throws in
            expectRefused(try scenario.curl(client: "revoked", tls: tls), alert: "certificate revoked", scenario)
            #expect(try scenario.curl(client: "client", tls: tls).status == 200)
        }
    }

    @Test(arguments: versions) func noCertificate(tls: String) async throws {
        try await ProxyScenario.withSite { (scenario) async throws in
            // TLS 1.3 has a dedicated alert; TLS 1.2 can only say handshake_failure.
            let alert = tls == "1.3" ? "certificate required" : "handshake failure"
            expectRefused(try scenario.curl(client: nil, tls: tls), alert: alert, scenario)
        }
    }

    @Test(arguments: versions) func refusalIsLoggedOnceWithTheCertificate(tls: String) async throws {
        try await ProxyScenario.withSite { (scenario) async throws in
            _ = try scenario.curl(client: "expired", tls: tls)
            // The client may see the alert before the server has written its line.
            #expect(await scenario.proxy.eventuallyLogs("client certificate refused"))
            let lines = scenario.proxy.log.split(separator: "\n").filter { $0.contains("client certificate refused") }
            #expect(lines.count == 1)
            let line = String(lines.first ?? "")
            #expect(line.contains("warning"))
            #expect(line.contains("client=127.0.0.1"))
            #expect(line.contains("sni=localhost"))
            #expect(line.contains("verify_error=X509_V_ERR_CERT_HAS_EXPIRED"))
            #expect(line.contains("depth=0"))
            #expect(line.contains("subject=CN=expired"))
            #expect(line.contains("issuer=CN=PullGuard Test Root"))
            #expect(line.contains("serial="))
            #expect(line.contains("fingerprint="))
        }
    }

    @Test(arguments: versions) func optionalModeForwardsTheVerdict(tls: String) async throws {
        try await ProxyScenario.withSite(["--verify", "optional"]) { (scenario) async throws in
            #expect(try scenario.curl(client: "expired", tls: tls).status == 200)
            #expect(try scenario.curl(client: nil, tls: tls).status == 200)
            let verdicts = scenario.upstream.requests.map { $0.headers["X-Client-Verify"].first ?? "" }
            #expect(verdicts == ["FAILED:certificate has expired", "NONE"])
        }
    }

    /// `PULLGUARD_OPENSSL_KEYS=provider` keeps OpenSSL 3's own EC decoding: the
    /// escape hatch admits and refuses exactly as the default does.
    @Test(arguments: versions) func providerECKeyPathAdmitsAndRefusesTheSame(tls: String) async throws {
        try await ProxyScenario.withSite(environment: ["PULLGUARD_OPENSSL_KEYS": "provider"]) { (scenario) async throws in
            expectRefused(try scenario.curl(client: "other-ca-client", tls: tls), alert: "unknown ca", scenario)
            #expect(try scenario.curl(client: "client", tls: tls).status == 200)
        }
    }
}
