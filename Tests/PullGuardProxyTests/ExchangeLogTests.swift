import Foundation
import NIOCore
import NIOHTTP1
import Testing
@testable import PullGuardCore
@testable import PullGuardProxy
import PullGuardTestSupport

/// One exchange's access-log entry: what is taken from the request, and how it ends.
@Suite struct ExchangeLogTests {
    static func head() -> HTTPRequestHead {
        HTTPRequestHead(version: .http1_1, method: .POST, uri: "/p?q=1", headers: HTTPHeaders([
            ("Host", "a.example"), ("CF-Connecting-IP", "203.0.113.9"), ("CF-Ray", "8a1b2c3d4e5f-LHR"),
        ]))
    }

    static func identity(trustSource: String) -> VerificationOutcome {
        TestCertificates.success(trustSource: trustSource)
    }

    @Test func edgeHeadersAreLoggedOnlyForTheCloudflareCA() throws {
        let start = NIODeadline.now()
        let cloudflare = ExchangeLog(protocolName: "HTTP/1.1", head: Self.head(),
                                     verification: Self.identity(trustSource: TrustSourceName.cloudflare), startedAt: start)
        #expect(cloudflare.entry.cfConnectingIP == "203.0.113.9")
        #expect(cloudflare.entry.cfRay == "8a1b2c3d4e5f-LHR")
        let privatePKI = ExchangeLog(protocolName: "HTTP/1.1", head: Self.head(),
                                     verification: Self.identity(trustSource: "/etc/pki/ca.pem"), startedAt: start)
        #expect(privatePKI.entry.cfConnectingIP == nil && privatePKI.entry.cfRay == nil)
        let none = ExchangeLog(protocolName: "HTTP/1.1", head: Self.head(), verification: .none, startedAt: start)
        #expect(none.entry.cfConnectingIP == nil)
    }

    @Test func timingsAndBytesAreMeasuredFromTheirOwnEvents() throws {
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var log = ExchangeLog(protocolName: "HTTP/1.1", head: Self.head(), verification: .none, startedAt: start)
        var connection = ConnectionLog(log: nil)
        log.leaseStarted(upstream: connection.upstreamName(UpstreamAddress(host: "127.0.0.1", port: 8080)),
                         now: start + .milliseconds(1))
        log.upstreamConnected(now: start + .milliseconds(3))
        log.requestHeadSent(now: start + .milliseconds(4))
        log.bodyIn(10)
        log.bodyIn(5)
        log.responseHead(status: 201, now: start + .milliseconds(14))
        log.bodyOut(7)
        let entry = log.finished(now: start + .milliseconds(20))
        #expect(entry.method == "POST" && entry.path == "/p?q=1" && entry.authority == "a.example")
        #expect(entry.status == 201)
        #expect(entry.bytesIn == 15 && entry.bytesOut == 7)
        #expect(entry.upstream == "127.0.0.1:8080")
        #expect(entry.upstreamConnectNanoseconds == 2_000_000)
        #expect(entry.upstreamFirstByteNanoseconds == 10_000_000)
        #expect(entry.durationNanoseconds == 20_000_000)
    }

    @Test func anIPv6UpstreamIsBracketed() {
        var connection = ConnectionLog(log: nil)
        #expect(connection.upstreamName(UpstreamAddress(host: "::1", port: 8080)) == "[::1]:8080")
        #expect(connection.upstreamName(UpstreamAddress(host: "127.0.0.1", port: 80)) == "127.0.0.1:80")
    }

    @Test func aClientThatLeftBeforeAnyResponseIs499() {
        let log = ExchangeLog(protocolName: "HTTP/2", head: Self.head(), verification: .none, startedAt: .now())
        #expect(log.finished().status == 499)
    }

    @Test func pullGuardsOwnAnswerIsItsStatus() {
        var log = ExchangeLog(protocolName: "HTTP/1.1", startedAt: .now())
        log.answered(status: 400)
        let entry = log.finished()
        #expect(entry.status == 400 && entry.method == "-" && entry.upstream == nil)
    }
}
