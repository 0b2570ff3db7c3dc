import Foundation
import NIOCore
import Testing
import PullGuardCore
import PullGuardOpenSSL
import PullGuardTestSupport
@testable import PullGuard

/// `pullguard check`'s warnings, one rule per test, on settings built in memory with a
/// test PKI generated now (nothing can expire in the repository).
@Suite struct ConfigLintTests {
    static let pki: TestPKI = try! TestPKI()
    var pki: TestPKI { Self.pki }
    let now = Date()

    static var cloudflare: TrustSource {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("certs/\(CloudflareOriginPull.caFileName)")
        return TrustSource(name: TrustSourceName.cloudflare,
                           bundle: PEMSource(origin: file.path, pem: Array((try? Data(contentsOf: file)) ?? Data())),
                           pinnedSHA256: CloudflareOriginPull.caSHA256)
    }

    func bundle(_ certificates: IssuedCertificate..., name: String = "ca.pem") -> TrustSource {
        TrustSource(name: name, bundle: PEMSource(label: name, text: certificates.map(\.certificatePEM).joined()))
    }

    func site(names: [String] = ["localhost", "a.test"], server: IssuedCertificate? = nil, trust: [TrustSource]? = nil,
              policy: ClientAuthPolicy = ClientAuthPolicy(), crl: String? = nil) -> Site {
        Site.tlsOnly(name: "origin", serverNames: names, TLSSiteSettings(
            identities: [ServerIdentitySource(server ?? pki.server, label: "server")],
            trustSources: trust ?? [bundle(pki.root)],
            crls: crl.map { [PEMSource(label: "root.crl", text: $0)] } ?? [],
            clientAuth: policy))
    }

    func warnings(_ site: Site, listen: String = "127.0.0.1:8443", keyPaths: LintKeyPaths = .file) -> [ConfigWarning] {
        let settings = PullGuardSettings(listeners: [ListenAddress(parsing: listen)!], workers: 1, sites: SiteTable(testing: [site]),
                                         tls: TLSListenerSettings(), proxy: ProxySettings())
        return ConfigLint.warnings(in: settings, keyPaths: keyPaths, now: now)
    }

    @Test func cleanConfigurationHasNoWarnings() {
        #expect(warnings(site()) == [])
    }

    @Test func cloudflareAloneIsWarnedWithTheOwnCAFix() throws {
        let found = warnings(site(trust: [Self.cloudflare], policy: ClientAuthPolicy(verifyDepth: 0)))
        let warning = try #require(found.first { $0.keyPath == "sites[0].client_auth.trust" })
        #expect(warning.message.contains("shared by all Cloudflare customers"))
        #expect(warning.fix.contains("zone-level or per-hostname"))
        #expect(found.count == 1)
        // Beside the site's own CA (a switch-over), it is not warned.
        #expect(warnings(site(trust: [Self.cloudflare, bundle(pki.root)])) == [])
    }

    @Test func optionalModeWithCloudflareIsWarned() throws {
        let found = warnings(site(trust: [Self.cloudflare, bundle(pki.root)], policy: ClientAuthPolicy(mode: .optional)))
        #expect(found.map(\.keyPath) == ["sites[0].client_auth.mode"])
        #expect(found.first?.fix.contains("mode: require") == true)
        #expect(warnings(site(policy: ClientAuthPolicy(mode: .optional))) == [])
    }

    @Test func serverCertificateExpiringWithinThirtyDaysIsWarned() throws {
        let soon = try CertificateIssuer.issue(CertificateProfile(
            commonName: "localhost", extendedKeyUsage: [.serverAuth], dnsNames: ["localhost", "a.test"],
            notAfter: now + 10 * 86_400 + 600), signedBy: pki.root)
        let found = warnings(site(server: soon))
        #expect(found.map(\.keyPath) == ["sites[0].certificates[0].cert"])
        #expect(found.first?.message.contains("expires in 10 days") == true)
    }

    @Test func expiredTrustAnchorIsWarned() throws {
        let old = try CertificateIssuer.issue(CertificateProfile(
            commonName: "Old CA", isCA: true, notBefore: now - 900 * 86_400, notAfter: now - 86_400), signedBy: nil)
        let found = warnings(site(trust: [bundle(pki.root), bundle(old, name: "old.pem")]))
        #expect(found.map(\.keyPath) == ["sites[0].client_auth.trust[1]"])
        #expect(found.first?.message.contains("expired on") == true)
    }

    @Test func crlWhoseNextUpdateIsNearIsWarned() throws {
        // TestPKI's CRL has nextUpdate in 7 days.
        let found = warnings(site(crl: pki.crl))
        #expect(found.map(\.keyPath) == ["sites[0].client_auth.crl[0]"])
        #expect(found.first?.message.contains("passes its nextUpdate in 6 days") == true)
        let fresh = try CertificateIssuer.makeCRL(issuer: pki.root, revokedSerialHex: [], thisUpdate: now - 60,
                                                  nextUpdate: now + 90 * 86_400)
        #expect(warnings(site(crl: fresh)) == [])
    }

    @Test func verifyDepthBeyondThePathLengthOfEveryAnchorIsWarned() throws {
        let constrained = try CertificateIssuer.issue(CertificateProfile(commonName: "Leaf-only CA", isCA: true, pathLength: 0),
                                                      signedBy: nil)
        let found = warnings(site(trust: [bundle(constrained)], policy: ClientAuthPolicy(verifyDepth: 2)))
        #expect(found.map(\.keyPath) == ["sites[0].client_auth.verify_depth"])
        #expect(found.first?.fix == "set verify_depth: 0")
        #expect(warnings(site(trust: [bundle(constrained)], policy: ClientAuthPolicy(verifyDepth: 0))) == [])
        // An unconstrained anchor beside it can produce any depth.
        #expect(warnings(site(trust: [bundle(constrained), bundle(pki.root)], policy: ClientAuthPolicy(verifyDepth: 2))) == [])
    }

    @Test func cloudflareAnchorProducesDepthZero() throws {
        let found = warnings(site(trust: [Self.cloudflare], policy: ClientAuthPolicy(verifyDepth: 1)))
        #expect(found.contains { $0.keyPath == "sites[0].client_auth.verify_depth" && $0.fix == "set verify_depth: 0" })
    }

    @Test func publicListenerWithoutClientIPsIsWarned() throws {
        let found = warnings(site(), listen: "0.0.0.0:443")
        #expect(found.map(\.keyPath) == ["listen[0]"])
        #expect(found.first?.fix.contains("client_ips") == true)
        #expect(warnings(site(), listen: "[::1]:8443") == [])
        #expect(warnings(site(), listen: "127.0.0.2:8443") == [])
        #expect(!warnings(site(), listen: "10.0.0.5:443").isEmpty)
        #expect(!warnings(site(), listen: "[::]:443").isEmpty)
    }

    @Test func clientIPsSilenceThePublicListenerWarning() {
        let listeners = [ListenAddress(host: "0.0.0.0", port: 443)]
        #expect(ConfigLint.warnings(listeners: listeners, hasClientIPs: true, sites: [], materials: [], keyPaths: .file, now: now) == [])
        #expect(ConfigLint.warnings(listeners: listeners, hasClientIPs: false, sites: [], materials: [], keyPaths: .file, now: now).count == 1)
    }

    @Test func serverNameTheCertificateDoesNotCoverIsWarned() throws {
        let found = warnings(site(names: ["localhost", "b.test"]))
        #expect(found.map(\.keyPath) == ["sites[0].server_names[1]"])
        #expect(found.first?.message.contains("'b.test' is not covered") == true)
    }

    @Test func wildcardsCoverExactlyOneLabel() {
        #expect(ConfigLint.covers("*.example.com", "a.example.com"))
        #expect(ConfigLint.covers("*.Example.com", "A.example.com."))
        #expect(!ConfigLint.covers("*.example.com", "example.com"))
        #expect(!ConfigLint.covers("*.example.com", "a.b.example.com"))
        #expect(ConfigLint.covers("*.example.com", "*.example.com"))
        #expect(!ConfigLint.covers("a.example.com", "*.example.com"))
        #expect(!ConfigLint.covers("*.com", "example.com"))
        #expect(!ConfigLint.covers("f*.example.com", "foo.example.com"))
    }

    @Test func flagFormNamesTheFlags() {
        let found = warnings(site(names: ["b.test"], trust: [Self.cloudflare], policy: ClientAuthPolicy(verifyDepth: 0)),
                             listen: "0.0.0.0:443", keyPaths: .flags)
        #expect(Set(found.map(\.keyPath)) == ["--listen", "--client-ca", "--server-name"])
    }
}
