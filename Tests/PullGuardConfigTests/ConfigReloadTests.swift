import Foundation
import NIOCore
import Testing
@testable import PullGuardConfig
@testable import PullGuardCore

/// `pid_file`, `watch`, `watch_debounce`: defaults, mapping, bad values named by key path.
@Suite("Config: reload triggers")
struct ConfigReloadTests {
    @Test func defaultsWhenAbsent() throws {
        let settings = try ConfigTestSupport.load(ConfigTestSupport.minimal())
        #expect(settings.reload == ReloadSettings(pidFile: nil, watch: false, watchDebounce: .seconds(1)))
    }

    @Test func everyKeyMapsAndARelativePidFileResolvesAgainstTheConfigFolder() throws {
        let extra = """
        pid_file: run/pullguard.pid
        watch: true
        watch_debounce: 250ms
        """
        let settings = try ConfigTestSupport.load(ConfigTestSupport.minimal(extra: extra))
        #expect(settings.reload.pidFile == ConfigTestPKI.shared.path("run/pullguard.pid"))
        #expect(settings.reload.watch)
        #expect(settings.reload.watchDebounce == .milliseconds(250))
    }

    @Test func absolutePidFileIsKept() throws {
        let settings = try ConfigTestSupport.load(ConfigTestSupport.minimal(extra: "pid_file: /run/pullguard.pid"))
        #expect(settings.reload.pidFile == "/run/pullguard.pid")
    }

    @Test func badValuesAreNamed() {
        let extra = """
        pid_file: ""
        watch: sometimes
        watch_debounce: 20m
        """
        let problems = ConfigTestSupport.problems(ConfigTestSupport.minimal(extra: extra))
        #expect(problems.map(\.keyPath).sorted() == ["pid_file", "watch", "watch_debounce"])
    }

    @Test func debounceBelowTheFloorAndNonDurationsAreRefused() {
        let tooShort = ConfigTestSupport.problems(ConfigTestSupport.minimal(extra: "watch_debounce: 10ms"))
        #expect(tooShort.map(\.description) == ["watch_debounce: 10ms is out of range 100ms...10m"])
        let noUnit = ConfigTestSupport.problems(ConfigTestSupport.minimal(extra: "watch_debounce: 2"))
        #expect(noUnit.map(\.keyPath) == ["watch_debounce"])
    }

    @Test func misspelledKeyIsAnError() {
        let problems = ConfigTestSupport.problems(ConfigTestSupport.minimal(extra: "pidfile: /run/pullguard.pid"))
        #expect(problems.map(\.keyPath) == ["pidfile"])
    }

    @Test func singleSiteFlagsHaveNoReloadTriggers() throws {
        let pki = ConfigTestPKI.shared
        var flags = SingleSiteFlags()
        flags.listen = ["127.0.0.1:8443"]
        flags.upstream = "http://127.0.0.1:8080"
        flags.certificates = [pki.path("server.pem")]
        flags.keys = [pki.path("server.key")]
        flags.clientCAs = [pki.path("ca.pem")]
        let settings = try ConfigLoader.load(flags: flags, environment: ConfigTestSupport.environment())
        #expect(settings.reload == ReloadSettings())
        #expect(settings.configFile == nil)
    }
}
