import Foundation
import Testing
@testable import PullGuardConfig
@testable import PullGuardCore

/// `client_ips:`: CIDRs, files of CIDRs and the `cloudflare` keyword, mapped into one
/// `ClientAddressList`; every bad value reported at its key path (and file:line).
@Suite("Config: client_ips")
struct ConfigClientIPsTests {
    static func write(_ text: String, name: String = "ips-\(UUID().uuidString).txt") throws -> String {
        let path = ConfigTestPKI.shared.path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func load(_ clientIPs: String, variables: [String: String] = [:]) throws -> PullGuardSettings {
        try ConfigTestSupport.load(ConfigTestSupport.minimal(extra: "client_ips: \(clientIPs)"), variables: variables)
    }

    static func problems(_ clientIPs: String, variables: [String: String] = [:]) -> [ConfigProblem] {
        ConfigTestSupport.problems(ConfigTestSupport.minimal(extra: "client_ips: \(clientIPs)"), variables: variables)
    }

    static let cloudflareVariables = ["PULLGUARD_CERTS_DIR": ConfigTestSupport.repositoryCerts]

    @Test func absentAdmitsEveryone() throws {
        #expect(try ConfigTestSupport.load(ConfigTestSupport.minimal()).clientAddresses == nil)
    }

    @Test func cidrsMap() throws {
        let settings = try Self.load(#"[127.0.0.2/32, 10.0.0.0/8, "2001:db8::/32", "::1"]"#)
        let list = try #require(settings.clientAddresses)
        #expect(list.entries.map(\.description) == ["127.0.0.2/32", "10.0.0.0/8", "2001:db8::/32", "::1/128"])
        #expect(list.contains(ipv4: 0x0A01_0203))
        #expect(!list.contains(ipv4: 0x7F00_0001))
        #expect(list.files.isEmpty)
    }

    @Test func aLoneStringIsOneEntry() throws {
        let list = try #require(try Self.load("192.0.2.0/24").clientAddresses)
        #expect(list.entries == [.v4(address: 0xC000_0200, prefix: 24)])
    }

    @Test func emptyListIsAnError() {
        let problems = Self.problems("[]")
        #expect(problems.map(\.keyPath) == ["client_ips"])
        #expect(problems.first?.message.contains("would refuse every connection") == true)
    }

    @Test func badEntriesAreNamedByIndex() {
        let problems = Self.problems("[10.0.0.0/8, 10.0.0.1/8, nonsense, true, {file: }, {path: x.txt}, [1.2.3.4]]")
        #expect(problems.map(\.keyPath) == [
            "client_ips[3]", "client_ips[4].file", "client_ips[5].path", "client_ips[5].file", "client_ips[6]",
            "client_ips[1]", "client_ips[2]",
        ], "\(problems)")
        #expect(problems.contains { $0.message.contains("write the network, 10.0.0.0/8") })
    }

    @Test func fileEntriesAreReadWithComments() throws {
        let path = try Self.write("""
        # office
        192.0.2.0/24   # NAT pool

          2001:db8::/48
        198.51.100.7
        """)
        let list = try #require(try Self.load("[{file: \(path)}, 203.0.113.0/24]").clientAddresses)
        #expect(list.entries.map(\.description) == ["192.0.2.0/24", "2001:db8::/48", "198.51.100.7/32", "203.0.113.0/24"])
        #expect(list.files == [path])
    }

    /// A relative path resolves against the config's folder, like every other path.
    @Test func relativeFilePathResolvesAgainstTheConfigFolder() throws {
        let name = "ips-relative-\(UUID().uuidString).txt"
        let path = try Self.write("192.0.2.0/24\n", name: name)
        let list = try #require(try Self.load("[{file: \(name)}]").clientAddresses)
        #expect(list.files == [path])
    }

    @Test func badLinesAreNamedByFileAndLine() throws {
        let path = try Self.write("192.0.2.0/24\n\n10.0.0.1/8\n# fine\nexample.com\n")
        let problems = Self.problems("[{file: \(path)}]")
        #expect(problems.map(\.keyPath) == ["client_ips[0].file", "client_ips[0].file"])
        #expect(problems.map(\.message).first?.hasPrefix("\(path):3: '10.0.0.1/8' has bits set") == true, "\(problems)")
        #expect(problems.map(\.message).last?.hasPrefix("\(path):5: 'example.com' is not") == true, "\(problems)")
    }

    @Test func manyBadLinesAreCountedNotAllListed() throws {
        let path = try Self.write(String(repeating: "nope\n", count: 12))
        let problems = Self.problems("[{file: \(path)}]")
        #expect(problems.count == ClientAddressFile.reportedLines + 1)
        #expect(problems.last?.message == "\(path): 7 more bad lines")
    }

    @Test func missingOrEmptyFileIsAnError() throws {
        let empty = try Self.write("# nothing yet\n\n")
        let problems = Self.problems("[{file: /nonexistent/ips.txt}, {file: \(empty)}]")
        #expect(problems.map(\.keyPath) == ["client_ips[0].file", "client_ips[1].file"])
        #expect(problems[0].message.hasPrefix("/nonexistent/ips.txt: "))
        #expect(problems[1].message == "\(empty): no CIDR in the file (only comments or blank lines)")
    }

    /// The keyword loads both shipped files (15 IPv4 and 7 IPv6 networks, 2026-08-22).
    @Test func cloudflareKeywordLoadsBothShippedLists() throws {
        let list = try #require(try Self.load("[cloudflare]", variables: Self.cloudflareVariables).clientAddresses)
        #expect(list.entries.count == 22)
        #expect(list.files == ConfigValidator.cloudflareIPFiles.map { ConfigTestSupport.repositoryCerts + "/" + $0 })
        #expect(list.admits(try .init(ipAddress: "173.245.48.1", port: 0)))
        #expect(list.admits(try .init(ipAddress: "2606:4700::1", port: 0)))
        #expect(list.admits(try .init(ipAddress: "::ffff:104.16.0.1", port: 0)))
        #expect(!list.admits(try .init(ipAddress: "8.8.8.8", port: 0)))
        // Both shipped files name their source and date.
        for file in list.files {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(text.contains("https://www.cloudflare.com/ips-v") && text.contains("2026-08-22"))
        }
    }

    @Test func cloudflareKeywordAddsToOtherEntries() throws {
        let list = try #require(try Self.load("[cloudflare, 10.0.0.0/8]", variables: Self.cloudflareVariables).clientAddresses)
        #expect(list.entries.count == 23)
        #expect(list.contains(ipv4: 0x0A00_0001))
    }

    @Test func cloudflareKeywordNotFoundNamesWhereItLooked() throws {
        let folder = try ConfigTestPKI.temporaryDirectory("no-cloudflare-lists")
        let problems = Self.problems("[cloudflare]", variables: ["PULLGUARD_CERTS_DIR": folder.path])
        #expect(problems.map(\.keyPath) == ["client_ips[0]"])
        #expect(problems.first?.message.contains(folder.path) == true)
        #expect(problems.first?.message.contains("cloudflare-ips-v4.txt") == true)
    }

    /// A watcher reloads when a list file changes: the files are among the referenced ones.
    @Test func listFilesAreReferencedFiles() throws {
        let path = try Self.write("192.0.2.0/24\n")
        let settings = try Self.load("[cloudflare, {file: \(path)}]", variables: Self.cloudflareVariables)
        let files = settings.referencedFiles
        #expect(files.contains(path))
        #expect(files.contains(ConfigTestSupport.repositoryCerts + "/cloudflare-ips-v4.txt"))
        #expect(files.contains(ConfigTestSupport.repositoryCerts + "/cloudflare-ips-v6.txt"))
    }
}

extension ConfigClientIPsTests {
    /// What docs/configuration.md says about YAML spelling: block entries, unquoted IPv6
    /// with a group first, and quoted ones starting with `::`.
    @Test func blockListWithUnquotedAndQuotedIPv6() throws {
        let yaml = ConfigTestSupport.minimal(extra: """
        client_ips:
          - 2001:db8::/32
          - "::1"
          - 192.0.2.0/24
        """)
        let list = try #require(try ConfigTestSupport.load(yaml).clientAddresses)
        #expect(list.entries.map(\.description) == ["2001:db8::/32", "::1/128", "192.0.2.0/24"])
    }
}
