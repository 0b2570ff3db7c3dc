import Foundation
import Testing
@testable import PullGuardConfig
@testable import PullGuardCore

/// `PullGuardSettings.referencedFiles`: every file a configuration was built from, which
/// `watch: true` watches.
@Suite("Config: referenced files")
struct ConfigReferencedFilesTests {
    /// Writes `yaml` next to the shared test PKI and loads it as a file, as `run --config` does.
    private func loadFile(_ yaml: String) throws -> (settings: PullGuardSettings, file: String) {
        let file = ConfigTestPKI.shared.path("referenced-\(UUID().uuidString).yaml")
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        return (try ConfigLoader.load(file: file, environment: ConfigTestSupport.environment()), file)
    }

    @Test func listsTheConfigFileCertificatesKeysTrustAndCRLsOnceInOrder() throws {
        let pki = ConfigTestPKI.shared
        let yaml = """
        listen: 127.0.0.1:8443
        certs_dir: \(ConfigTestSupport.repositoryCerts)
        sites:
          - name: a
            server_names: [a.example]
            certificates:
              - {cert: server.pem, key: server.key}
            upstream: http://127.0.0.1:8080
            client_auth:
              trust: [ca.pem, cloudflare]
              crl: [ca.crl]
          - name: b
            server_names: [b.example]
            certificates:
              - {cert: ./server.pem, key: server.key}
            upstream: http://127.0.0.1:8081
            client_auth:
              trust: [ca2.pem, ca.pem]
        """
        let (settings, file) = try loadFile(yaml)
        #expect(settings.configFile == file)
        #expect(settings.referencedFiles == [
            file,
            pki.path("server.pem"), pki.path("server.key"),
            pki.path("ca.pem"),
            ConfigTestSupport.repositoryCerts + "/" + CloudflareOriginPull.caFileName,
            pki.path("ca.crl"),
            pki.path("ca2.pem"),
        ])
    }

    @Test func pidFileIsNotAReferencedFile() throws {
        let (settings, file) = try loadFile(ConfigTestSupport.minimal(extra: "pid_file: pullguard.pid"))
        let pki = ConfigTestPKI.shared
        #expect(settings.referencedFiles == [file, pki.path("server.pem"), pki.path("server.key"), pki.path("ca.pem")])
    }

    @Test func yamlTextHasNoConfigFileAndLabelsAreNotFiles() throws {
        var settings = try ConfigTestSupport.load(ConfigTestSupport.minimal())
        #expect(settings.configFile == nil)
        #expect(settings.referencedFiles.first == ConfigTestPKI.shared.path("server.pem"))
        // A source that carries a label instead of a path (tests, built-in material) is skipped.
        var site = settings.sites[0]
        site.tls.trustSources.append(TrustSource(name: "inline", bundle: PEMSource(origin: "built-in test CA", pem: [])))
        settings.sites = try SiteTable([site])
        #expect(!settings.referencedFiles.contains("built-in test CA"))
    }
}
