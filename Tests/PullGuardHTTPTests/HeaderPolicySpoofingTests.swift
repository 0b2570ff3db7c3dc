import Foundation
import NIOCore
import NIOHTTP1
import Testing
@testable import PullGuardCore
@testable import PullGuardHTTP
import PullGuardTestSupport

@Suite struct HTTPHeaderPolicySpoofingTests {
    let names = IdentityHeaderNames()

    @Test(arguments: ["X-Client-Verify", "x-client-verify", "X_CLIENT_VERIFY", "x_Client-verify",
                      "X-Client-Cert-Subject", "x_client_cert_fingerprint", "Client-Cert", "client_cert_chain"])
    func identityHeaderVariantsAreRemoved(name: String) {
        var headers = HTTPHeaders([(name, "SUCCESS"), ("Accept", "*/*")])
        HeaderPolicy.removeSpoofable(from: &headers, names: names, verification: TestCertificates.success())
        #expect(headers.map(\.name) == ["Accept"])
    }

    @Test func configuredNamesAreReserved() {
        var custom = IdentityHeaderNames()
        custom.verify = "SSL-Client-Verify"
        var headers = HTTPHeaders([("ssl_client_verify", "SUCCESS"), ("X-Client-Verify", "kept: not configured")])
        HeaderPolicy.removeSpoofable(from: &headers, names: custom, verification: .none)
        #expect(headers.map(\.name) == ["X-Client-Verify"])
    }

    @Test func edgeClientIPKeptOnlyForCloudflare() {
        let incoming = HTTPHeaders([("CF-Connecting-IP", "198.51.100.7"), ("True-Client-IP", "198.51.100.8")])
        var fromCloudflare = incoming
        HeaderPolicy.removeSpoofable(from: &fromCloudflare, names: names, verification: TestCertificates.cloudflare)
        #expect(fromCloudflare.count == 2)

        for outcome in [TestCertificates.success(), .none,
                        .failed(VerificationFailure(kind: .policy(.notAllowListed), reason: "not allowed",
                                                    errorName: "policy:allow_list", depth: 0, certificate: nil,
                                                    presentedLeaf: nil))] {
            var other = incoming
            HeaderPolicy.removeSpoofable(from: &other, names: names, verification: outcome)
            #expect(other.isEmpty)
        }
    }

    @Test func spoofedValuesAreReplacedByTheRealVerdict() throws {
        let incoming = HTTPHeaders([("Host", "a.example"), ("x_client_verify", "SUCCESS"),
                                    ("X-Client-Cert-Subject", "CN=admin")])
        let context = HeaderPolicy.RequestContext(clientIP: "192.0.2.1", verification: .none, names: names)
        let out = HeaderPolicy.upstreamRequestHeaders(from: incoming, context: context)
        // What the upstream reads: the request's fields, then the connection's identity lines.
        var writer = HTTP1RequestWriter()
        var buffer = ByteBuffer()
        try writer.writeHead(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: out),
                             appending: context.identityLines, into: &buffer)
        let fields = String(buffer: buffer).split(separator: "\r\n").dropFirst().map {
            $0.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        }
        #expect(fields.filter { $0[0] == "x-client-verify" }.map { $0[1] } == ["none"])
        #expect(!fields.contains { ["x-client-cert-subject", "x_client_verify"].contains($0[0]) })
    }

    /// Issue 8, item 3: names with `_` are dropped (nginx's `underscores_in_headers off`);
    /// with `allow_underscores`, still every look-alike of a name PullGuard sets.
    @Test func underscoreNamesAndLookalikes() {
        let incoming = HTTPHeaders([("X_Forwarded_For", "6.6.6.6"), ("x_forwarded_proto", "http"),
                                    ("X_FORWARDED_HOST", "e"), ("cf_connecting_ip", "6.6.6.6"),
                                    ("True_Client_IP", "6.6.6.6"), ("Client_Cert", ":AA:"), ("My_Header", "1"),
                                    ("CF-Connecting-IP", "198.51.100.7"), ("Accept", "*/*")])
        var strict = incoming
        HeaderPolicy.removeSpoofable(from: &strict, names: names, verification: TestCertificates.cloudflare)
        #expect(strict.map(\.name) == ["CF-Connecting-IP", "Accept"])
        var allowing = incoming
        HeaderPolicy.removeSpoofable(from: &allowing, names: names, verification: TestCertificates.cloudflare,
                                     allowUnderscores: true)
        #expect(allowing.map(\.name) == ["My_Header", "CF-Connecting-IP", "Accept"])
    }

    /// A custom identity name's `_` spelling is a look-alike too.
    @Test func configuredNamesLookalikesAreDroppedEvenWhenUnderscoresAreAllowed() {
        var custom = IdentityHeaderNames()
        custom.subject = "SSL-Client-S-DN"
        var headers = HTTPHeaders([("SSL_Client_S_DN", "CN=admin"), ("X_Client_Cert_Subject", "CN=admin")])
        HeaderPolicy.removeSpoofable(from: &headers, names: custom, verification: .none, allowUnderscores: true)
        #expect(headers.map(\.name) == ["X_Client_Cert_Subject"])
    }
}
