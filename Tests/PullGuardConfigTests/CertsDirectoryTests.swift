import Foundation
import Testing
@testable import PullGuardConfig
@testable import PullGuardCore

/// Where the `cloudflare` trust keyword looks for the shipped CA (docs/configuration.md,
/// "The cloudflare keyword and certs_dir"): an explicit choice alone, otherwise the
/// current directory, the installed `<prefix>/share/pullguard/certs` next to the binary,
/// the build tree, then the fixed install places.
@Suite("Config: certs_dir lookup order")
struct CertsDirectoryTests {
    static let workingDirectory = URL(fileURLWithPath: "/srv/work", isDirectory: true)

    static func environment(executable: String?, variables: [String: String] = [:]) -> ConfigEnvironment {
        ConfigEnvironment(variables: variables, currentDirectory: workingDirectory,
                          executableURL: executable.map { URL(fileURLWithPath: $0) }, coreCount: 1)
    }

    static func searched(executable: String?, configured: String? = nil, variables: [String: String] = [:]) -> [String] {
        CertsDirectory.candidates(configured: configured, baseDirectory: URL(fileURLWithPath: "/etc/pg"),
                                  environment: environment(executable: executable, variables: variables)).map(\.path)
    }

    @Test func installedBinaryLooksInItsPrefixBeforeTheBuildTreeAndFixedPlaces() {
        #expect(Self.searched(executable: "/opt/pullguard/bin/pullguard") == [
            "/srv/work/certs",
            "/opt/pullguard/share/pullguard/certs",
            "/opt/certs",
            "/certs",
            "/usr/local/share/pullguard/certs",
            "/etc/pullguard/certs",
        ])
    }

    @Test func buildTreeBinaryStillReachesTheRepositoryCerts() {
        let searched = Self.searched(executable: "/src/pullguard/.build/x86_64-unknown-linux-gnu/debug/pullguard")
        #expect(searched.contains("/src/pullguard/certs"))
        #expect(searched.firstIndex(of: "/src/pullguard/.build/x86_64-unknown-linux-gnu/share/pullguard/certs")
            == 1)
    }

    @Test func withoutAnExecutableOnlyTheWorkingDirectoryAndFixedPlaces() {
        #expect(Self.searched(executable: nil) == [
            "/srv/work/certs", "/usr/local/share/pullguard/certs", "/etc/pullguard/certs",
        ])
    }

    @Test func configuredFolderIsTheOnlyPlace() {
        #expect(Self.searched(executable: "/usr/bin/pullguard", configured: "certs",
                              variables: ["PULLGUARD_CERTS_DIR": "/elsewhere"]) == ["/etc/pg/certs"])
    }

    @Test func environmentVariableIsTheOnlyPlaceWithoutConfiguredFolder() {
        #expect(Self.searched(executable: "/usr/bin/pullguard", variables: ["PULLGUARD_CERTS_DIR": "data"])
            == ["/srv/work/data"])
    }

    /// A PREFIX/DESTDIR layout on disk: the CA under `<prefix>/share/pullguard/certs` is found
    /// for `<prefix>/bin/pullguard`, with nothing in the working directory.
    @Test func findsTheCAInstalledUnderThePrefixOfTheBinary() throws {
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("pullguard-prefix-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: prefix) }
        let certs = prefix.appendingPathComponent("share/pullguard/certs")
        try FileManager.default.createDirectory(at: certs, withIntermediateDirectories: true)
        try Data("placeholder".utf8).write(to: certs.appendingPathComponent(CloudflareOriginPull.caFileName))
        let empty = prefix.appendingPathComponent("cwd")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let environment = ConfigEnvironment(variables: [:], currentDirectory: empty,
                                            executableURL: prefix.appendingPathComponent("bin/pullguard"), coreCount: 1)

        let found = CertsDirectory.cloudflareCA(configured: nil, baseDirectory: empty, environment: environment)

        #expect(try found.get() == certs.appendingPathComponent(CloudflareOriginPull.caFileName).standardizedFileURL.path)
    }
}
