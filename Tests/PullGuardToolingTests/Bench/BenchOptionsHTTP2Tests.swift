import Testing
@testable import PullGuardTooling

/// `--http 2` flag rules: keep-alive by default, `--streams` defaults and bounds, the
/// combinations that are refused (each naming its flag), and ALPN offering `h2` first.
@Suite struct BenchOptionsHTTP2Tests {
    func flags(_ change: (inout BenchFlags) -> Void = { _ in }) -> BenchFlags {
        var flags = BenchFlags()
        flags.url = "https://localhost:8443/health"
        flags.insecure = true
        flags.http = "2"
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

    @Test func http2DefaultsToKeepaliveWithTenStreamsAndAHundredRequests() throws {
        let options = try BenchOptions(validating: flags())
        #expect(options.http == .http2)
        #expect(options.mode == .keepalive)
        #expect(options.streams == 10)
        #expect(options.requestsPerConnection == 100)
        #expect(options.alpn == ["h2", "http/1.1"])
        #expect(options.tlsSettings(identity: nil, trustRoots: nil).alpn == ["h2", "http/1.1"])
    }

    @Test func http11KeepsOneStreamAndOffersOnlyHTTP11() throws {
        var plain = BenchFlags()
        plain.url = "https://localhost:8443/"
        plain.insecure = true
        let options = try BenchOptions(validating: plain)
        #expect(options.http == .http1_1)
        #expect(options.mode == .full)
        #expect(options.streams == 1)
        #expect(options.alpn == ["http/1.1"])
    }

    @Test func streamsAndRequestsAreTaken() throws {
        let options = try BenchOptions(validating: flags { $0.streams = 25; $0.requestsPerConnection = 400 })
        #expect(options.streams == 25)
        #expect(options.requestsPerConnection == 400)
        #expect(try BenchOptions(validating: flags { $0.mode = "keepalive" }).mode == .keepalive)
    }

    @Test func defaultStreamsNeverExceedTheRequests() throws {
        let options = try BenchOptions(validating: flags { $0.requestsPerConnection = 4 })
        #expect(options.streams == 4)
    }

    @Test func refusedCombinationsNameTheirFlag() {
        let cases: [(String, (inout BenchFlags) -> Void)] = [
            ("--streams", { $0.streams = 0 }),
            ("--streams", { $0.streams = 11; $0.requestsPerConnection = 10 }),
            ("--streams", { $0.streams = 1001; $0.requestsPerConnection = 5000 }),
            ("--streams", { $0.http = "1.1"; $0.streams = 4 }),
            ("--mode", { $0.mode = "full" }),
            ("--mode", { $0.mode = "resume" }),
            ("--requests-per-connection", { $0.requestsPerConnection = 0 }),
            ("--requests-per-connection", { $0.http = "1.1"; $0.requestsPerConnection = 5 }),
        ]
        for (flag, change) in cases {
            let error = rejected(flags(change))
            #expect(error?.flag == flag, "expected \(flag), got \(String(describing: error))")
            #expect(error?.description.hasPrefix("\(flag): ") == true)
        }
    }
}
