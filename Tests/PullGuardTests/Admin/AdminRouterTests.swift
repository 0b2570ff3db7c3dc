import Foundation
import NIOHTTP1
import Synchronization
import Testing
@testable import PullGuard
import PullGuardCore

/// The admin endpoints as values, without sockets.
@Suite struct AdminRouterTests {
    static let site = AdminSiteSummary(
        name: "origin", serverNames: ["example.com"], mode: "require", upstream: "http://127.0.0.1:8080",
        trustAnchors: [.init(name: "cloudflare", sha256: "ab", subject: "CN=Origin Pull", notAfter: "2029-10-10T00:00:00Z")],
        serverCertificatesNotAfter: ["2027-01-01T00:00:00Z"])

    static func router(ready: Bool = true) -> AdminRouter {
        AdminRouter(
            status: AdminStatus(isReady: { ready },
                                generation: { AdminGeneration(number: 4, loadedAt: Date(timeIntervalSince1970: 0), sites: [site]) }),
            metrics: { Array("pullguard_x 1\n".utf8) })
    }

    @Test func metricsUseThePrometheusTextType() {
        let response = Self.router().respond(method: .GET, uri: "/metrics")
        #expect(response.status == .ok)
        #expect(response.contentType.hasPrefix("text/plain; version=0.0.4"))
        #expect(response.body == Array("pullguard_x 1\n".utf8))
    }

    @Test func healthAndReadiness() {
        #expect(Self.router().respond(method: .GET, uri: "/healthz").status == .ok)
        #expect(Self.router(ready: false).respond(method: .GET, uri: "/healthz").status == .ok)
        #expect(Self.router().respond(method: .GET, uri: "/readyz").status == .ok)
        #expect(Self.router(ready: false).respond(method: .GET, uri: "/readyz").status == .serviceUnavailable)
        #expect(Self.router().respond(method: .GET, uri: "/readyz?verbose=1").status == .ok)
    }

    @Test func unknownPathIs404AndOtherMethodsAre405() {
        #expect(Self.router().respond(method: .GET, uri: "/").status == .notFound)
        #expect(Self.router().respond(method: .GET, uri: "/metrics/../config").status == .notFound)
        let post = Self.router().respond(method: .POST, uri: "/config")
        #expect(post.status == .methodNotAllowed)
        #expect(post.headers.map(\.0) == ["Allow"])
        #expect(Self.router().respond(method: .DELETE, uri: "/metrics").status == .methodNotAllowed)
    }

    @Test func configIsTheGenerationAndItsSummaryAsJSON() throws {
        let response = Self.router().respond(method: .GET, uri: "/config")
        #expect(response.status == .ok)
        #expect(response.contentType == "application/json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        #expect(object["generation"] as? Int == 4)
        #expect(object["loaded_at"] as? String == "1970-01-01T00:00:00Z")
        let sites = try #require(object["sites"] as? [[String: Any]])
        #expect(sites.first?["name"] as? String == "origin")
        #expect(sites.first?["server_names"] as? [String] == ["example.com"])
        let anchors = try #require(sites.first?["trust_anchors"] as? [[String: Any]])
        #expect(anchors.first?["sha256"] as? String == "ab")
    }

    /// `client_ips` appears as counts (entries, merged ranges per family), and not at all when absent.
    @Test func configShowsClientIPsAsCounts() throws {
        let list = ClientAddressList(try ["10.0.0.0/24", "10.0.1.0/24", "2001:db8::/32"].map { try ClientCIDR(parsing: $0) })
        let router = AdminRouter(
            status: AdminStatus(isReady: { true }, generation: {
                AdminGeneration(number: 1, loadedAt: Date(timeIntervalSince1970: 0), sites: [Self.site],
                                clientIPs: AdminClientIPs(list))
            }),
            metrics: { [] })
        let object = try #require(try JSONSerialization.jsonObject(
            with: Data(router.respond(method: .GET, uri: "/config").body)) as? [String: Any])
        let clientIPs = try #require(object["client_ips"] as? [String: Int])
        #expect(clientIPs == ["entries": 3, "ipv4_ranges": 1, "ipv6_ranges": 1])
        let without = try #require(try JSONSerialization.jsonObject(
            with: Data(Self.router().respond(method: .GET, uri: "/config").body)) as? [String: Any])
        #expect(without["client_ips"] == nil)
    }
}
