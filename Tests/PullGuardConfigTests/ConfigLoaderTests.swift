import Foundation
import NIOCore
import Testing
@testable import PullGuardCore
@testable import PullGuardConfig
import PullGuardTestSupport

@Suite("Config: YAML loading and mapping")
struct ConfigLoaderTests {
    let pki = ConfigTestPKI.shared

    @Test func minimalConfigMapsToAreaValues() throws {
        let settings = try ConfigTestSupport.load(ConfigTestSupport.minimal())
        #expect(settings.listeners == [ListenAddress(host: "127.0.0.1", port: 8443)])
        #expect(settings.workers == 3)
        #expect(settings.logLevel == .info)
        #expect(settings.sites.defaultSite == SiteID(index: 0))
        #expect(settings.tls.unknownSNI == .defaultSite)
        // Each site once, whole: its TLS and proxy halves are parts of one value.
        #expect(settings.sites.count == 1)
        let whole = try #require(settings.sites.first)
        #expect(whole.name == "only")
        #expect(whole.serverNames.isEmpty)
        let site = whole.tls
        #expect(site.identities.count == 1)
        #expect(site.identities[0].certificateChain.origin == pki.path("server.pem"))
        #expect(site.identities[0].certificateChain.pem == Array(try Data(contentsOf: URL(fileURLWithPath: pki.path("server.pem")))))
        #expect(site.identities[0].privateKey.origin == pki.path("server.key"))
        #expect(site.trustSources == [TrustSource(name: pki.path("ca.pem"), bundle: PEMSource(
            origin: pki.path("ca.pem"), pem: Array(try Data(contentsOf: URL(fileURLWithPath: pki.path("ca.pem"))))))])
        #expect(site.crls.isEmpty)
        #expect(site.clientAuth == ClientAuthPolicy(mode: .require, verifyDepth: 1, partialChain: false))
        #expect(whole.proxy.upstream == UpstreamAddress(host: "127.0.0.1", port: 8080))
        #expect(settings.proxy.headers == IdentityHeaderNames())
        #expect(settings.proxy.timeouts.upstreamConnect == .seconds(5))
    }

    @Test func fullConfigMapsEveryKey() throws {
        let yaml = """
        listen: [127.0.0.1:8443, "[::1]:8444"]
        workers: 2
        log_level: debug
        unknown_sni: reject
        default_site: private
        headers:
          verify: X-Verify
          rfc9440: true
          allow_underscores: true
        timeouts:
          upstream_connect: 500ms
          upstream_response: 2m
          client_idle: 1h
        sites:
          - name: public
            server_names: [Example.COM, "*.example.com"]
            certificates:
              - {cert: server.pem, key: server.key}
            upstream: http://127.0.0.1:8080
            client_auth: {trust: ca.pem}
          - name: private
            server_names: internal.example.net
            certificates:
              - {cert: server.pem, key: server.key}
              - {cert: server.pem, key: server.key}
            upstream: http://[::1]:9090/
            client_auth:
              mode: optional
              trust: [ca.pem, ca2.pem]
              crl: ca.crl
              verify_depth: 3
              partial_chain: true
              allow:
                subjects: ["CN=client,O=Example"]
                common_names: [client]
                dns_names: [Client.Example.com]
                uris: ["spiffe://example/client"]
                fingerprints: ["AB:CD:\(String(repeating: "0", count: 60))"]
                spki_sha256: ["\(String(repeating: "F", count: 64))"]
        """
        let settings = try ConfigTestSupport.load(yaml)
        #expect(settings.listeners == [ListenAddress(host: "127.0.0.1", port: 8443), ListenAddress(host: "::1", port: 8444)])
        #expect(settings.workers == 2)
        #expect(settings.logLevel == .debug)
        #expect(settings.tls.unknownSNI == .reject)
        #expect(settings.sites.defaultSite == SiteID(index: 1))
        #expect(settings.sites[settings.sites.defaultSite].name == "private")
        #expect(settings.proxy.headers.verify == "X-Verify")
        #expect(settings.proxy.headers.subject == "X-Client-Cert-Subject")
        #expect(settings.proxy.headers.rfc9440)
        #expect(settings.proxy.allowUnderscoresInHeaders)
        #expect(settings.proxy.timeouts.upstreamConnect == .milliseconds(500))
        #expect(settings.proxy.timeouts.upstreamResponse == .minutes(2))
        #expect(settings.proxy.timeouts.downstreamIdle == .hours(1))
        // Each configured site exactly once, in order, with both halves in the one value.
        #expect(settings.sites.map(\.name) == ["public", "private"])
        #expect(settings.sites.map(\.proxy.upstream) == [UpstreamAddress(host: "127.0.0.1", port: 8080), UpstreamAddress(host: "::1", port: 9090)])
        #expect(settings.sites.map(\.tls.identities.count) == [1, 2])
        #expect(settings.sites.map(\.serverNames) == [["example.com", "*.example.com"], ["internal.example.net"]])
        // The one name table SNI and Host binding share is built from those names, once.
        #expect(settings.sites.claimant(of: "www.example.com") == SiteID(index: 0))
        #expect(settings.sites.claimant(of: "internal.example.net") == SiteID(index: 1))
        let site = settings.sites[1].tls
        #expect(site.identities.count == 2)
        #expect(site.trustSources.map(\.name) == [pki.path("ca.pem"), pki.path("ca2.pem")])
        #expect(site.crls.map(\.origin) == [pki.path("ca.crl")])
        #expect(site.clientAuth.mode == .optional)
        #expect(site.clientAuth.verifyDepth == 3)
        #expect(site.clientAuth.partialChain)
        #expect(site.clientAuth.allowList == AllowList(
            subjects: ["CN=client,O=Example"], commonNames: ["client"], dnsNames: ["client.example.com"],
            uris: ["spiffe://example/client"], fingerprints: ["abcd" + String(repeating: "0", count: 60)],
            spkiSHA256: [String(repeating: "f", count: 64)]))
        #expect(settings.sites[1].proxy.upstream == UpstreamAddress(host: "::1", port: 9090))
    }

    @Test func underscoresInHeaderNamesAreDroppedByDefault() throws {
        #expect(try ConfigTestSupport.load(ConfigTestSupport.minimal()).proxy.allowUnderscoresInHeaders == false)
        let problems = ConfigTestSupport.problems(ConfigTestSupport.minimal(extra: "headers:\n  allow_underscores: sometimes"))
        #expect(problems.map(\.keyPath) == ["headers.allow_underscores"])
    }

    @Test func unknownTopLevelKeyIsReportedWithSuggestion() {
        let problems = ConfigTestSupport.problems(ConfigTestSupport.minimal(extra: "listne: 1.2.3.4:1"))
        #expect(problems == [ConfigProblem(keyPath: "listne", message: "unknown key (did you mean listen?)")])
    }

    @Test func unknownNestedKeyIsReportedWithItsPath() {
        let yaml = ConfigTestSupport.minimal(clientAuth: "trust: [ca.pem]\n      verfy_depth: 2")
        let problems = ConfigTestSupport.problems(yaml)
        #expect(problems.map(\.description) == ["sites[0].client_auth.verfy_depth: unknown key (did you mean verify_depth?)"])
    }

    @Test func unknownKeyWithoutCloseMatchListsTheKeys() {
        let problems = ConfigTestSupport.problems(ConfigTestSupport.minimal(extra: "headers: {colour: red}"))
        #expect(problems.count == 1)
        #expect(problems.first?.keyPath == "headers.colour")
        #expect(problems.first?.message.contains("expected one of: verify, subject") == true)
    }

    @Test func everyProblemIsReportedTogether() {
        let yaml = """
        listen: nowhere
        workers: 0
        log_level: loud
        bogus: 1
        sites:
          - name: Bad Name
            certificates:
              - cert: missing.pem
                key: server.key
            upstream: ftp://x
            client_auth:
              mode: sometimes
              trust: [ca.pem]
              verify_depth: 11
        """
        let paths = ConfigTestSupport.problems(yaml).map(\.keyPath)
        #expect(Set(paths) == [
            "listen", "workers", "log_level", "bogus", "sites[0].name", "sites[0].certificates[0].cert",
            "sites[0].upstream", "sites[0].client_auth.mode", "sites[0].client_auth.verify_depth",
        ])
        let description = String(describing: ConfigError.invalid(ConfigTestSupport.problems(yaml)))
        #expect(description.contains("9 problems"))
        #expect(description.contains("sites[0].client_auth.mode: 'sometimes' is not one of: require, optional"))
    }

    @Test func wrongTypesAreReportedWithoutFollowUpNoise() {
        let yaml = """
        listen: {host: x}
        workers: two
        headers: [a]
        sites:
          - name: only
            certificates: server.pem
            upstream: [http://127.0.0.1:8080]
            client_auth:
              trust: [ca.pem]
              verify_depth: "1"
              partial_chain: yes please
        """
        let problems = ConfigTestSupport.problems(yaml)
        #expect(Set(problems.map(\.keyPath)) == [
            "listen", "workers", "headers", "sites[0].certificates", "sites[0].upstream",
            "sites[0].client_auth.verify_depth", "sites[0].client_auth.partial_chain",
        ])
        #expect(problems.count == 7)
        #expect(problems.contains(ConfigProblem(keyPath: "workers", message: "expected an integer, found the string 'two'")))
        #expect(problems.contains(ConfigProblem(
            keyPath: "sites[0].client_auth.verify_depth", message: "expected an integer, found the string '1'")))
    }

    @Test func missingRequiredKeysAreNamed() {
        let problems = ConfigTestSupport.problems("sites:\n  - name: a\n  - name: b\n")
        #expect(Set(problems.map(\.description)).isSuperset(of: [
            "listen: required", "sites[0].upstream: required", "sites[1].certificates: required",
            "sites[0].server_names: required when there is more than one site", "sites[1].client_auth: required",
        ]))
    }

    @Test(arguments: ["https://127.0.0.1:8080", "127.0.0.1:8080", "http://127.0.0.1:8080/api", "http://:80", "http://h:99999"])
    func badUpstreamIsRefused(_ upstream: String) {
        let yaml = ConfigTestSupport.minimal().replacingOccurrences(of: "http://127.0.0.1:8080", with: upstream)
        let problems = ConfigTestSupport.problems(yaml)
        #expect(problems.map(\.keyPath) == ["sites[0].upstream"])
        #expect(problems.first?.message.contains("http://host:port") == true)
    }

    @Test(arguments: ["localhost", "127.0.0.1:http", "1.2.3.4:70000", "::1:80"])
    func badListenIsRefused(_ listen: String) {
        let yaml = ConfigTestSupport.minimal().replacingOccurrences(of: "listen: 127.0.0.1:8443", with: "listen: [\"\(listen)\"]")
        #expect(ConfigTestSupport.problems(yaml).map(\.keyPath) == ["listen[0]"])
    }

    @Test func duplicateSiteAndServerNamesAreRefused() {
        let site = """
          - name: a
            server_names: [a.example.com, "*.Example.com"]
            certificates: [{cert: server.pem, key: server.key}]
            upstream: http://127.0.0.1:8080
            client_auth: {trust: [ca.pem]}
        """
        let yaml = "listen: :8443\nsites:\n" + site + "\n" + site.replacingOccurrences(of: "a.example", with: "b.example")
            + "\ndefault_site: c\n"
        let problems = ConfigTestSupport.problems(yaml).map(\.description)
        #expect(problems.contains("sites[1].name: duplicate site name 'a' (also sites[0].name)"))
        #expect(problems.contains("sites[1].server_names[1]: duplicate server name '*.example.com' (also sites[0].server_names[1])"))
        #expect(problems.contains("default_site: no site is named 'c'; sites are: a, a"))
        #expect(problems.count == 3)
    }

    @Test func missingFileNamesKeyPathPathAndOSError() {
        let yaml = ConfigTestSupport.minimal(clientAuth: "trust: [ca.pem]\n      crl: [nope.crl]")
        let problems = ConfigTestSupport.problems(yaml)
        #expect(problems == [ConfigProblem(
            keyPath: "sites[0].client_auth.crl[0]", message: "\(pki.path("nope.crl")): No such file or directory")])
    }

    @Test func wrongPEMKindIsRefused() {
        let yaml = ConfigTestSupport.minimal(clientAuth: "trust: [server.key]\n      crl: ca.pem")
            .replacingOccurrences(of: "key: server.key", with: "key: server.pem")
        let problems = ConfigTestSupport.problems(yaml)
        #expect(problems.map(\.description) == [
            "sites[0].certificates[0].key: \(pki.path("server.pem")): expected a PEM PRIVATE KEY block, found 'CERTIFICATE' blocks",
            "sites[0].client_auth.trust[0]: \(pki.path("server.key")): expected a PEM CERTIFICATE block, found 'PRIVATE KEY' blocks",
            "sites[0].client_auth.crl: \(pki.path("ca.pem")): expected a PEM X509 CRL block, found 'CERTIFICATE' blocks",
        ])
    }

    @Test func fingerprintsAreNormalisedAndChecked() throws {
        let colons = (0..<32).map { _ in "AB" }.joined(separator: ":")
        let settings = try ConfigTestSupport.load(ConfigTestSupport.minimal(
            clientAuth: "trust: [ca.pem]\n      allow: {fingerprints: [\"\(colons)\"]}"))
        #expect(settings.sites[0].tls.clientAuth.allowList.fingerprints == [String(repeating: "ab", count: 32)])

        let problems = ConfigTestSupport.problems(ConfigTestSupport.minimal(
            clientAuth: "trust: [ca.pem]\n      allow: {fingerprints: [abc], spki_sha256: [\"\(String(repeating: "g", count: 64))\"]}"))
        #expect(problems.map(\.keyPath) == [
            "sites[0].client_auth.allow.fingerprints[0]", "sites[0].client_auth.allow.spki_sha256[0]",
        ])
    }

    @Test func cloudflareKeywordResolvesAndCarriesThePin() throws {
        let yaml = ConfigTestSupport.minimal(clientAuth: "trust: [cloudflare, ca.pem]")
        let settings = try ConfigTestSupport.load(yaml, variables: ["PULLGUARD_CERTS_DIR": ConfigTestSupport.repositoryCerts])
        let cloudflare = try #require(settings.sites[0].tls.trustSources.first)
        #expect(cloudflare.name == "cloudflare")
        #expect(cloudflare.pinnedSHA256 == CloudflareOriginPull.caSHA256)
        #expect(cloudflare.bundle.origin == ConfigTestSupport.repositoryCerts + "/" + CloudflareOriginPull.caFileName)
        #expect(String(decoding: cloudflare.bundle.pem, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----"))
        #expect(settings.sites[0].tls.trustSources[1].pinnedSHA256 == nil)
    }

    @Test func configuredCertsDirWinsAndMissingCAListsWhereItLooked() {
        let yaml = ConfigTestSupport.minimal(clientAuth: "trust: [cloudflare]", extra: "certs_dir: .")
        let problems = ConfigTestSupport.problems(yaml, variables: ["PULLGUARD_CERTS_DIR": ConfigTestSupport.repositoryCerts])
        #expect(problems.map(\.keyPath) == ["sites[0].client_auth.trust[0]"])
        #expect(problems.first?.message.contains("searched: \(pki.directory.path)/\(CloudflareOriginPull.caFileName)") == true)
    }

    @Test func defaultSearchNamesEveryPlace() {
        let problems = ConfigTestSupport.problems(ConfigTestSupport.minimal(clientAuth: "trust: cloudflare"))
        let message = problems.first?.message ?? ""
        #expect(message.contains("\(pki.directory.path)/certs/\(CloudflareOriginPull.caFileName)"))
        #expect(message.contains("/usr/local/share/pullguard/certs/"))
        #expect(message.contains("/etc/pullguard/certs/"))
    }

    @Test(arguments: [("500ms", TimeAmount.milliseconds(500)), ("5s", .seconds(5)), ("2m", .minutes(2)), ("1h", .hours(1))])
    func durationsParse(_ text: String, _ amount: TimeAmount) throws {
        let settings = try ConfigTestSupport.load(ConfigTestSupport.minimal(extra: "timeouts: {client_idle: \(text)}"))
        #expect(settings.proxy.timeouts.downstreamIdle == amount)
    }

    @Test(arguments: ["5", "0s", "-1s", "5 s", "1d", "s"])
    func badDurationsAreRefused(_ text: String) {
        let problems = ConfigTestSupport.problems(ConfigTestSupport.minimal(extra: "timeouts: {upstream_connect: \"\(text)\"}"))
        #expect(problems.map(\.keyPath) == ["timeouts.upstream_connect"])
    }

    @Test func yamlSyntaxErrorIsOneProblem() {
        let problems = ConfigTestSupport.problems("listen: [unclosed\n")
        #expect(problems.count == 1)
        #expect(problems.first?.message.hasPrefix("not valid YAML") == true)
    }

    @Test func configFileRelativePathsResolveAgainstItsFolder() throws {
        let file = pki.directory.appendingPathComponent("pullguard-test-\(UUID().uuidString).yaml")
        try Data(ConfigTestSupport.minimal().utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let elsewhere = ConfigTestSupport.environment(currentDirectory: URL(fileURLWithPath: "/"))
        let settings = try ConfigLoader.load(file: file.path, environment: elsewhere)
        #expect(settings.sites[0].tls.identities[0].certificateChain.origin == pki.path("server.pem"))
    }
}
