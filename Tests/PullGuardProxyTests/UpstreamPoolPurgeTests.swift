import NIOCore
import Testing
@testable import PullGuardProxy
@testable import PullGuardObservability

/// The pool's purge timer on the loop: a parked upstream connection survives the
/// interval after its use and is closed after one that did not use it.
@Suite struct UpstreamPoolPurgeTests {
    @Test func aParkedConnectionIsClosedAfterAnIntervalWithoutUse() throws {
        let proxy = try InMemoryProxy()
        proxy.send("GET /1 HTTP/1.1\r\nHost: a.example\r\n\r\n")
        try proxy.respond(0)
        #expect(try proxy.clientText().hasPrefix("HTTP/1.1 200 OK\r\n"))
        proxy.loop.advanceTime(by: UpstreamPool.purgeInterval)
        #expect(proxy.upstreams[0].isActive, "used in the interval that just ended: kept")
        proxy.loop.advanceTime(by: UpstreamPool.purgeInterval)
        #expect(!proxy.upstreams[0].isActive, "unused for a whole interval: closed")
        proxy.send("GET /2 HTTP/1.1\r\nHost: a.example\r\n\r\n")
        #expect(proxy.upstreams.count == 2, "the next request opens a connection of its own")
        try proxy.respond(1)
        #expect(try proxy.clientText().hasPrefix("HTTP/1.1 200 OK\r\n"))
        let counts = proxy.metrics.snapshot()
        #expect(counts[.upstreamConnectionsOpened] == 2)
        #expect(counts[.upstreamConnectionsPurged] == 1)
    }

    @Test func aReusedConnectionIsNotCountedAsOpened() throws {
        let proxy = try InMemoryProxy()
        for path in ["/1", "/2", "/3"] {
            proxy.send("GET \(path) HTTP/1.1\r\nHost: a.example\r\n\r\n")
            try proxy.respond(0)
        }
        #expect(proxy.upstreams.count == 1)
        #expect(proxy.metrics.snapshot()[.upstreamConnectionsOpened] == 1)
        #expect(proxy.metrics.snapshot()[.upstreamConnectionsPurged] == 0)
    }

    @Test func aConnectionInUseIsNeverPurged() throws {
        let proxy = try InMemoryProxy()
        proxy.send("GET /slow HTTP/1.1\r\nHost: a.example\r\n\r\n")
        proxy.loop.advanceTime(by: UpstreamPool.purgeInterval * 3)
        #expect(proxy.upstreams[0].isActive)
        try proxy.respond(0, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate")
        #expect(try proxy.clientText().hasSuffix("\r\n\r\nlate"))
    }
}
