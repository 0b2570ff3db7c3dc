import NIOCore
import Testing
@testable import PullGuardCore

/// `timeouts.handshake`, `timeouts.session_lifetime` and `limits:`: defaults, mapping, and
/// bad values named by key path.
@Suite("Config: TLS timing and limits")
struct ConfigLimitsTests {
    @Test func defaultsWhenAbsent() throws {
        let settings = try ConfigTestSupport.load(ConfigTestSupport.minimal())
        #expect(settings.tls.handshakeTimeout == .seconds(10))
        #expect(settings.tls.sessionLifetime == .minutes(5))
        #expect(settings.limits == ConnectionLimits(maxConnections: 10_000, maxHandshakes: 1_024))
    }

    @Test func everyKeyMaps() throws {
        let extra = """
        timeouts: {handshake: 3s, session_lifetime: 90s}
        limits: {max_connections: 500, max_handshakes: 40}
        """
        let settings = try ConfigTestSupport.load(ConfigTestSupport.minimal(extra: extra))
        #expect(settings.tls.handshakeTimeout == .seconds(3))
        #expect(settings.tls.sessionLifetime == .seconds(90))
        #expect(settings.limits == ConnectionLimits(maxConnections: 500, maxHandshakes: 40))
    }

    @Test func outOfRangeValuesAreNamed() {
        let extra = """
        timeouts: {handshake: soon, session_lifetime: 200h}
        limits: {max_connections: 0, max_handshakes: -3}
        """
        let problems = ConfigTestSupport.problems(ConfigTestSupport.minimal(extra: extra))
        #expect(problems.map(\.keyPath).sorted() == [
            "limits.max_connections", "limits.max_handshakes", "timeouts.handshake", "timeouts.session_lifetime",
        ])
    }

    @Test func unknownLimitIsAnError() {
        let problems = ConfigTestSupport.problems(ConfigTestSupport.minimal(extra: "limits: {max_conections: 5}"))
        #expect(problems.map(\.keyPath) == ["limits.max_conections"])
    }
}
