import Foundation
import Testing
import PullGuardTestSupport

/// Allow-lists, anti-spoofing, Host/SNI binding and upstream failures through the real binary.
@Suite(.serialized) struct ProxyPolicyTests {
    static let versions = ["1.2", "1.3"]

    static func allowListConfig(commonName: String) -> String {
        """
        listen: 127.0.0.1:0
        workers: 1
        sites:
          - name: private
            certificates:
              - cert: {PKI}/server.pem
                key: {PKI}/server.key
            upstream: {UPSTREAM}
            client_auth:
              trust: [{PKI}/root.pem]
              allow:
                common_names: [\(commonName)]
        """
    }

    @Test(arguments: versions) func allowListHit(tls: String) async throws {
        try await ProxyScenario.withConfig(Self.allowListConfig(commonName: "client")) { (scenario) async throws in
            #expect(try scenario.curl(client: "client", tls: tls).status == 200)
        }
    }

    @Test(arguments: versions) func allowListMiss(tls: String) async throws {
        try await ProxyScenario.withConfig(Self.allowListConfig(commonName: "somebody-else")) { (scenario) async throws in
            let result = try scenario.curl(client: "client", tls: tls)
            #expect(result.status == nil)
            #expect(result.stderr.contains("alert handshake failure"), "curl said: \(result.stderr)")
            #expect(scenario.upstream.requests.isEmpty)
            #expect(await scenario.proxy.eventuallyLogs("verify_error=policy:allow_list"), "the refusal line was not written")
        }
    }

    @Test(arguments: versions) func spoofedIdentityHeadersAreReplaced(tls: String) async throws {
        try await ProxyScenario.withSite { (scenario) async throws in
            let result = try scenario.curl(client: "client", tls: tls, headers: [
                "X-Client-Verify: SUCCESS-FORGED", "x-client-cert-subject: CN=admin", "X_Client_Cert_Fingerprint: 00",
                "Client-Cert: :AAAA:", "CF-Connecting-IP: 203.0.113.9", "True-Client-IP: 203.0.113.9",
            ])
            #expect(result.status == 200)
            let headers = try #require(scenario.upstream.requests.first).headers
            #expect(headers["X-Client-Verify"] == ["SUCCESS"])
            #expect(headers["X-Client-Cert-Subject"] == ["CN=client,O=PullGuard Tests"])
            #expect(headers["X-Client-Cert-Fingerprint"].count == 1)
            #expect(headers["X-Client-Cert-Fingerprint"].first != "00")
            #expect(headers["X_Client_Cert_Fingerprint"].isEmpty)
            #expect(headers["Client-Cert"].isEmpty)
            // Not anchored at the Cloudflare CA: the edge's client-IP headers are not believed.
            #expect(headers["CF-Connecting-IP"].isEmpty)
            #expect(headers["True-Client-IP"].isEmpty)
        }
    }

    static let twoSites = """
        listen: 127.0.0.1:0
        workers: 1
        sites:
          - name: a
            server_names: [a.test, localhost]
            certificates:
              - cert: {PKI}/server.pem
                key: {PKI}/server.key
            upstream: {UPSTREAM}
            client_auth:
              trust: [{PKI}/root.pem]
          - name: b
            server_names: [b.test]
            certificates:
              - cert: {PKI}/server-b.pem
                key: {PKI}/server-b.key
            upstream: {UPSTREAM}
            client_auth:
              trust: [{PKI}/root.pem]
        """

    @Test(arguments: versions) func hostNamingAnotherSiteGets421(tls: String) async throws {
        try await ProxyScenario.withConfig(Self.twoSites) { (scenario) async throws in
            let result = try scenario.curl(client: "client", tls: tls, host: "a.test", headers: ["Host: b.test"])
            #expect(result.status == 421)
            #expect(scenario.upstream.requests.isEmpty)
        }
    }

    @Test(arguments: versions) func sniSelectsTheSecondSitesCertificate(tls: String) async throws {
        try await ProxyScenario.withConfig(Self.twoSites) { (scenario) async throws in
            // curl verifies the server certificate against b.test: only site b's certificate names it.
            #expect(try scenario.curl(client: "client", tls: tls, host: "b.test").status == 200)
        }
    }

    @Test(arguments: versions) func upstreamDownGives502AndKeepsServing(tls: String) async throws {
        try await ProxyScenario.with({ _ in
            ProxyScenario.siteFlags(upstreamPort: 9).map { $0 == "http://127.0.0.1:9" ? "http://127.0.0.1:1" : $0 }
        }) { (scenario) async throws in
            let first = try scenario.curl(client: "client", tls: tls)
            #expect(first.status == 502)
            #expect(first.body.hasPrefix("502 Bad Gateway"))
            #expect(try scenario.curl(client: "client", tls: tls).status == 502)
        }
    }

    @Test func opensslClientWithoutCertificateGetsTheAlert() async throws {
        try await ProxyScenario.withSite { (scenario) async throws in
            let result = try ProxyScenario.openssl(port: scenario.proxy.port, client: nil, tls: "1.3",
                                                   request: "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            #expect(result.stderr.contains("alert certificate required"), "openssl said: \(result.stderr)")
            #expect(scenario.upstream.requests.isEmpty)
        }
    }

    @Test func opensslClientWithCertificateGets200() async throws {
        try await ProxyScenario.withSite { (scenario) async throws in
            let result = try ProxyScenario.openssl(
                port: scenario.proxy.port, client: "client", tls: "1.2",
                request: "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            #expect(result.stdout.hasPrefix("HTTP/1.1 200"), "openssl said: \(result.stdout) \(result.stderr)")
        }
    }
}
