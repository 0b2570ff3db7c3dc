import Foundation
import Testing
@testable import PullGuardConfig
@testable import PullGuardCore

@Suite("Config: the admin listener")
struct ConfigAdminTests {
    @Test func onByDefaultOnLoopback9901() throws {
        let settings = try ConfigTestSupport.load(ConfigTestSupport.minimal())
        #expect(settings.admin.listen == ListenAddress(host: "127.0.0.1", port: 9901))
    }

    @Test func offTurnsItOff() throws {
        let settings = try ConfigTestSupport.load(ConfigTestSupport.minimal(extra: "admin: off"))
        #expect(settings.admin.listen == nil)
    }

    @Test func listenSetsTheAddress() throws {
        let settings = try ConfigTestSupport.load(ConfigTestSupport.minimal(extra: "admin: {listen: \"[::1]:9100\"}"))
        #expect(settings.admin.listen == ListenAddress(host: "::1", port: 9100))
    }

    @Test func anotherScalarIsRefusedAtTheKey() {
        let problems = ConfigTestSupport.problems(ConfigTestSupport.minimal(extra: "admin: on"))
        #expect(problems.map(\.keyPath) == ["admin"])
        #expect(problems.first?.message.contains("expected off or a mapping with listen") == true)
    }

    @Test func unknownKeyUnderAdminIsReportedWithItsPath() {
        let problems = ConfigTestSupport.problems(ConfigTestSupport.minimal(extra: "admin: {listne: \"127.0.0.1:1\"}"))
        #expect(problems.map(\.keyPath) == ["admin.listne"])
    }

    @Test func badAddressIsReportedAtAdminListen() {
        let problems = ConfigTestSupport.problems(ConfigTestSupport.minimal(extra: "admin: {listen: \"localhost\"}"))
        #expect(problems.map(\.keyPath) == ["admin.listen"])
    }

    @Test func theProxyListenersAddressIsRefused() {
        let problems = ConfigTestSupport.problems(ConfigTestSupport.minimal(extra: "admin: {listen: \"127.0.0.1:8443\"}"))
        #expect(problems.map(\.keyPath) == ["admin.listen"])
        #expect(problems.first?.message.contains("also a proxy listener") == true)
    }

    @Test func theFlagTakesAnAddressOrOff() throws {
        var flags = SingleSiteFlags()
        flags.listen = ["127.0.0.1:8443"]
        flags.upstream = "http://127.0.0.1:8080"
        flags.certificates = ["server.pem"]
        flags.keys = ["server.key"]
        flags.clientCAs = ["ca.pem"]
        let environment = ConfigTestSupport.environment()
        #expect(try ConfigLoader.load(flags: flags, environment: environment).admin.listen == AdminSettings.defaultListen)
        flags.admin = "off"
        #expect(try ConfigLoader.load(flags: flags, environment: environment).admin.listen == nil)
        flags.admin = "127.0.0.1:0"
        #expect(try ConfigLoader.load(flags: flags, environment: environment).admin.listen == ListenAddress(host: "127.0.0.1", port: 0))
        flags.admin = "nowhere"
        let problems = ConfigTestSupport.problems { try ConfigLoader.load(flags: flags, environment: environment) }
        #expect(problems.map(\.keyPath) == ["--admin"])
    }
}
