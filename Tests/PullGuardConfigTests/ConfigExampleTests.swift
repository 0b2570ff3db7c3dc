import Foundation
import Testing
@testable import PullGuardConfig
@testable import PullGuardCore
import PullGuardTestSupport

/// Keeps `examples/pullguard.yaml` loadable: it is copied into a temporary folder,
/// the PEM files it names are made there with `openssl`, and the result is checked.
@Suite("Config: examples/pullguard.yaml")
struct ConfigExampleTests {
    static let example = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples/pullguard.yaml")

    /// Creates every file the example refers to under `directory/pki`.
    private func makeExamplePKI(in directory: URL) throws {
        let pki = directory.appendingPathComponent("pki")
        try FileManager.default.createDirectory(at: pki, withIntermediateDirectories: true)
        try ConfigTestPKI.makeSelfSigned(certificate: "example.com-ecdsa.pem", key: "example.com-ecdsa.key",
                                         commonName: "example.com", in: pki)
        try ConfigTestPKI.openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "example.com-rsa.key",
                                   "-out", "example.com-rsa.pem", "-subj", "/CN=example.com", "-days", "2"], in: pki)
        try ConfigTestPKI.makeSelfSigned(certificate: "api.internal.example.net.pem", key: "api.internal.example.net.key",
                                         commonName: "api.internal.example.net", in: pki)
        try ConfigTestPKI.makeCA(named: "private-ca-2025", in: pki)
        try ConfigTestPKI.makeCA(named: "private-ca-2026", in: pki)
        try ConfigTestPKI.makeCRL(ca: "private-ca-2026", output: "private-ca-2026.crl", in: pki)
    }

    @Test func exampleLoadsAndMapsBothSites() throws {
        let directory = try ConfigTestPKI.temporaryDirectory("pullguard-example")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("pullguard.yaml")
        try FileManager.default.copyItem(at: Self.example, to: config)
        try makeExamplePKI(in: directory)
        let environment = ConfigTestSupport.environment(
            variables: ["PULLGUARD_CERTS_DIR": ConfigTestSupport.repositoryCerts], currentDirectory: directory)

        let settings = try ConfigLoader.load(file: config.path, environment: environment)

        let pki = directory.appendingPathComponent("pki").path
        #expect(settings.listeners == [ListenAddress(host: "0.0.0.0", port: 8443)])
        #expect(settings.workers == 2)
        #expect(settings.tls.unknownSNI == .reject)
        #expect(settings.sites[settings.sites.defaultSite].name == "cloudflare")
        #expect(settings.sites.map(\.name) == ["cloudflare", "internal"])

        #expect(settings.sites[0].serverNames == ["example.com", "*.example.com"])
        let cloudflare = settings.sites[0].tls
        #expect(cloudflare.identities.map(\.certificateChain.origin) == ["\(pki)/example.com-ecdsa.pem", "\(pki)/example.com-rsa.pem"])
        #expect(cloudflare.trustSources.map(\.name) == ["cloudflare"])
        #expect(cloudflare.trustSources[0].pinnedSHA256 == CloudflareOriginPull.caSHA256)
        #expect(cloudflare.clientAuth.mode == .require)
        #expect(cloudflare.clientAuth.verifyDepth == 1)
        #expect(cloudflare.clientAuth.allowList.isEmpty)

        let privateSite = settings.sites[1].tls
        #expect(privateSite.trustSources.map(\.name) == ["\(pki)/private-ca-2025.pem", "\(pki)/private-ca-2026.pem"])
        #expect(privateSite.crls.map(\.origin) == ["\(pki)/private-ca-2026.crl"])
        #expect(privateSite.clientAuth.allowList.commonNames == ["billing-service"])
        #expect(privateSite.clientAuth.allowList.fingerprints
            == ["3f4a119b2c77e0d56108aa935ec21d408bf602739ce4551ad03b6e8729f1c40d"])
        #expect(settings.sites.map(\.proxy.upstream) == [
            UpstreamAddress(host: "127.0.0.1", port: 8080), UpstreamAddress(host: "127.0.0.1", port: 9090),
        ])
    }
}
