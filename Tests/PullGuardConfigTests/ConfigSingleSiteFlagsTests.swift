import Foundation
import Testing
@testable import PullGuardConfig
@testable import PullGuardCore
import PullGuardTestSupport

@Suite("Config: single-site CLI flags")
struct ConfigSingleSiteFlagsTests {
    let pki = ConfigTestPKI.shared

    private func flags() -> SingleSiteFlags {
        var flags = SingleSiteFlags()
        flags.listen = ["127.0.0.1:8443"]
        flags.upstream = "http://127.0.0.1:8080"
        flags.certificates = ["server.pem", "server.pem"]
        flags.keys = ["server.key", "server.key"]
        flags.clientCAs = ["cloudflare", "ca.pem"]
        flags.crls = ["ca.crl"]
        flags.verifyDepth = 2
        flags.verify = "optional"
        flags.workers = 4
        flags.serverNames = ["Example.com"]
        flags.logLevel = "debug"
        flags.certsDir = ConfigTestSupport.repositoryCerts
        flags.rfc9440 = true
        flags.accessLog = "stdout"
        return flags
    }

    @Test func flagsProduceTheSameSettingsAsTheEquivalentYAML() throws {
        let yaml = """
        listen: 127.0.0.1:8443
        workers: 4
        log_level: debug
        certs_dir: \(ConfigTestSupport.repositoryCerts)
        headers: {rfc9440: true}
        access_log: {path: stdout}
        sites:
          - name: default
            server_names: [example.com]
            certificates:
              - {cert: server.pem, key: server.key}
              - {cert: server.pem, key: server.key}
            upstream: http://127.0.0.1:8080
            client_auth:
              mode: optional
              trust: [cloudflare, ca.pem]
              crl: [ca.crl]
              verify_depth: 2
        """
        let fromYAML = try ConfigTestSupport.load(yaml)
        let fromFlags = try ConfigLoader.load(flags: flags(), environment: ConfigTestSupport.environment())
        #expect(fromFlags.listeners == fromYAML.listeners)
        #expect(fromFlags.workers == fromYAML.workers)
        #expect(fromFlags.logLevel == fromYAML.logLevel)
        #expect(fromFlags.sites.defaultSite == fromYAML.sites.defaultSite)
        #expect(fromFlags.tls.unknownSNI == fromYAML.tls.unknownSNI)
        #expect(fromFlags.sites.count == 1)
        #expect(fromFlags.sites[0].name == fromYAML.sites[0].name)
        #expect(fromFlags.sites[0].serverNames == fromYAML.sites[0].serverNames)
        let a = fromFlags.sites[0].tls, b = fromYAML.sites[0].tls
        #expect(a.identities == b.identities)
        #expect(a.trustSources == b.trustSources)
        #expect(a.crls == b.crls)
        #expect(a.clientAuth == b.clientAuth)
        #expect(a.alpn == b.alpn)
        #expect(fromFlags.sites.map(\.proxy.upstream) == fromYAML.sites.map(\.proxy.upstream))
        #expect(fromFlags.proxy.headers == fromYAML.proxy.headers)
        #expect(fromFlags.accessLog == fromYAML.accessLog)
        #expect(fromFlags.proxy.timeouts.upstreamConnect == fromYAML.proxy.timeouts.upstreamConnect)
    }

    @Test func certAndKeyCountsMustMatch() {
        var flags = flags()
        flags.keys = ["server.key"]
        let problems = ConfigTestSupport.problems {
            try ConfigLoader.load(flags: flags, environment: ConfigTestSupport.environment())
        }
        #expect(problems.map(\.description) == [
            "--key: 2 --cert but 1 --key; each --cert needs a --key, paired in the order given",
        ])
    }

    @Test func flagProblemsUseFlagNamesThroughTheSameChecks() {
        var flags = SingleSiteFlags()
        flags.listen = ["nowhere"]
        flags.certificates = ["server.key"]
        flags.keys = ["server.key"]
        flags.verifyDepth = 42
        flags.verify = "sometimes"
        let problems = ConfigTestSupport.problems {
            try ConfigLoader.load(flags: flags, environment: ConfigTestSupport.environment())
        }
        #expect(Set(problems.map(\.keyPath)) == ["--listen", "--upstream", "--cert", "--client-ca", "--verify", "--verify-depth"])
        #expect(problems.contains(ConfigProblem(keyPath: "--verify", message: "'sometimes' is not one of: require, optional")))
        #expect(problems.contains(ConfigProblem(
            keyPath: "--cert",
            message: "\(pki.path("server.key")): expected a PEM CERTIFICATE block, found 'PRIVATE KEY' blocks")))
    }

    @Test func defaultsMatchNginxHabits() throws {
        var flags = SingleSiteFlags()
        flags.listen = [":8443"]
        flags.upstream = "http://localhost:3000"
        flags.certificates = ["server.pem"]
        flags.keys = ["server.key"]
        flags.clientCAs = ["ca.pem"]
        let settings = try ConfigLoader.load(flags: flags, environment: ConfigTestSupport.environment())
        #expect(settings.listeners == [ListenAddress(host: "0.0.0.0", port: 8443)])
        #expect(settings.sites[0].tls.clientAuth.mode == .require)
        #expect(settings.sites[0].tls.clientAuth.verifyDepth == 1)
        #expect(settings.workers == 3)
    }
}
