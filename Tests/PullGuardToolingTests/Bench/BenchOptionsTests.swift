import Testing
@testable import PullGuardTooling

/// `pullguard-bench` flag rules: defaults, derived values, and one rejection per rule,
/// each naming its flag (the binary exits 2 with that message).
@Suite struct BenchOptionsTests {
    func flags(_ url: String = "https://localhost:8443/health", _ change: (inout BenchFlags) -> Void = { _ in }) -> BenchFlags {
        var flags = BenchFlags()
        flags.url = url
        flags.insecure = true
        change(&flags)
        return flags
    }

    func rejected(_ flags: BenchFlags) -> BenchOptionError? {
        do {
            _ = try BenchOptions(validating: flags)
            return nil
        } catch {
            return error
        }
    }

    @Test func defaults() throws {
        let options = try BenchOptions(validating: flags())
        #expect(options.url == (try BenchURL(parsing: "https://localhost:8443/health")))
        #expect(options.url.path == "/health")
        #expect(options.serverName == "localhost")
        #expect(options.hostHeader == "localhost:8443")
        #expect(options.concurrency == 16)
        #expect(options.threads == 1)
        #expect(options.stop == .duration(seconds: 10))
        #expect(options.mode == .full)
        #expect(options.requestsPerConnection == 1)
        #expect(options.expectStatus == 200)
        #expect(options.timeoutSeconds == 10)
        #expect(options.tls == nil)
        #expect(options.tlsLabel == "negotiate")
        #expect(options.trust == .insecure)
        #expect(options.warmupSeconds == 0)
    }

    @Test func ipHostSendsNoSNIUnlessGiven() throws {
        let plain = try BenchOptions(validating: flags("https://127.0.0.1:9443"))
        #expect(plain.serverName == nil)
        #expect(plain.hostHeader == "127.0.0.1:9443")
        #expect(plain.url.path == "/")
        let named = try BenchOptions(validating: flags("https://127.0.0.1:9443/") { $0.sni = "a.test" })
        #expect(named.serverName == "a.test")
        #expect(named.hostHeader == "a.test:9443")
    }

    @Test func ipv6HostAndDefaultPort() throws {
        let options = try BenchOptions(validating: flags("https://[::1]/x?y=1"))
        #expect(options.url.host == "::1")
        #expect(options.url.port == 443)
        #expect(options.url.path == "/x?y=1")
        #expect(options.serverName == nil)
        #expect(options.hostHeader == "[::1]")
    }

    @Test func keepaliveDefaultsToOneHundredRequests() throws {
        #expect(try BenchOptions(validating: flags { $0.mode = "keepalive" }).requestsPerConnection == 100)
        #expect(try BenchOptions(validating: flags { $0.mode = "keepalive"; $0.requestsPerConnection = 7 }).requestsPerConnection == 7)
    }

    @Test func connectionsVersionGroupsAndTargets() throws {
        let options = try BenchOptions(validating: flags {
            $0.connections = 40
            $0.tls = "1.3"
            $0.groups = "X25519,P-256"
            $0.targetPIDs = [42, 43]
            $0.cacert = "root.pem"
            $0.insecure = false
            $0.cert = "client.pem"
            $0.key = "client.key"
        })
        #expect(options.stop == .connections(40))
        #expect(options.tls == .tls13)
        #expect(options.groups == "X25519:P-256")
        #expect(options.targetPIDs == [42, 43])
        #expect(options.trust == .caFile("root.pem"))
        #expect(options.tlsSettings(identity: nil, trustRoots: nil).verifyServer)
    }

    @Test func missingURL() {
        var bare = BenchFlags()
        bare.insecure = true
        #expect(rejected(bare)?.flag == "--url")
    }

    @Test(arguments: ["http://localhost/", "https://", "https://host:0/", "https://host:99999/", "https://[::1/"])
    func badURL(url: String) {
        #expect(rejected(flags(url))?.flag == "--url")
    }

    @Test func onlyHTTP11And2AreVersions() {
        #expect(rejected(flags { $0.http = "3" })?.flag == "--http")
        #expect(rejected(flags { $0.http = "2.0" })?.flag == "--http")
    }

    @Test func eachRuleNamesItsFlag() {
        let cases: [(String, (inout BenchFlags) -> Void)] = [
            ("--key", { $0.cert = "c.pem" }),
            ("--cert", { $0.key = "c.key" }),
            ("--insecure", { $0.cacert = "root.pem" }),
            ("--cacert", { $0.insecure = false }),
            ("--sni", { $0.sni = "" }),
            ("--concurrency", { $0.concurrency = 0 }),
            ("--threads", { $0.threads = 0 }),
            ("--threads", { $0.threads = 4; $0.concurrency = 2 }),
            ("--duration", { $0.duration = 5; $0.connections = 10 }),
            ("--duration", { $0.duration = 0 }),
            ("--connections", { $0.connections = 0 }),
            ("--tls", { $0.tls = "1.1" }),
            ("--groups", { $0.groups = "" }),
            ("--mode", { $0.mode = "turbo" }),
            ("--requests-per-connection", { $0.requestsPerConnection = 5 }),
            ("--requests-per-connection", { $0.mode = "keepalive"; $0.requestsPerConnection = 0 }),
            ("--expect-status", { $0.expectStatus = 42 }),
            ("--timeout", { $0.timeout = 0 }),
            ("--target-pid", { $0.targetPIDs = [0] }),
            ("--warmup", { $0.warmup = -1 }),
        ]
        for (flag, change) in cases {
            let error = rejected(flags(change: change))
            #expect(error?.flag == flag, "expected \(flag), got \(String(describing: error))")
            #expect(error?.description.hasPrefix("\(flag): ") == true)
        }
    }

    func flags(change: (inout BenchFlags) -> Void) -> BenchFlags {
        flags("https://localhost:8443/", change)
    }
}
