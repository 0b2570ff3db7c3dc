import Foundation
import PullGuardTestSupport
import Testing

/// The worked example of docs/operations.md ("Migrating from nginx"), read from the
/// document and run through `pullguard check` with the files it names made from the test
/// PKI, so the example keeps loading as the schema changes.
@Suite struct NginxMigrationTests {
    @Test func documentedExamplePassesCheck() throws {
        let yaml = try #require(OperationsDocument.blocks(kind: "config", language: "yaml")["nginx-migration"],
                                "docs/operations.md has no `<!-- config: nginx-migration -->` yaml block")
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("pullguard-migration-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (from, to) in [("server.pem", "origin.pem"), ("server.key", "origin.key"),
                           ("root.pem", "aop-ca.pem"), ("root.crl", "aop-ca.crl")] {
            try FileManager.default.copyItem(atPath: ProxyScenario.file(from), toPath: directory.appendingPathComponent(to).path)
        }
        let config = directory.appendingPathComponent("pullguard.yaml")
        try Data(yaml.utf8).write(to: config)

        let result = try CommandRunner.run(PullGuardProcess.binary, ["check", "--config", config.path])

        #expect(result.exitCode == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("listen: 0.0.0.0:443, [::]:443"), "\(result.stdout)")
        #expect(result.stdout.contains("site origin: example.com, www.example.com -> http://127.0.0.1:8080"), "\(result.stdout)")
        #expect(result.stdout.contains("crl: \(directory.appendingPathComponent("aop-ca.crl").path)"), "\(result.stdout)")
    }
}
