import Foundation
import NIOCore
import NIOPosix
import PullGuardCore
import Testing
@testable import PullGuardObservability

/// The Prometheus exposition: per-loop sums fed into swift-prometheus at scrape time,
/// per-site and per-anchor handles resolved once per configuration.
@Suite struct MetricsExpositionTests {
    static let oldCA = TrustAnchorInfo(name: "old-ca.pem", sha256: String(repeating: "a", count: 64), subject: "CN=Old",
                                       notAfter: Date(timeIntervalSince1970: 2_000_000_000))
    static let newCA = TrustAnchorInfo(name: "cloudflare", sha256: String(repeating: "b", count: 64), subject: "CN=New",
                                       notAfter: Date(timeIntervalSince1970: 2_100_000_000))

    static func site(_ name: String, anchors: [TrustAnchorInfo] = [oldCA, newCA]) -> SiteInventory {
        SiteInventory(name: name, serverCertificatesNotAfter: [Date(timeIntervalSince1970: 1_900_000_000),
                                                               Date(timeIntervalSince1970: 1_800_000_000)],
                      anchors: anchors, crls: [CRLInfo(origin: "ca.crl", nextUpdate: Date(timeIntervalSince1970: 1_700_000_000)),
                                               CRLInfo(origin: "none.crl", nextUpdate: nil)])
    }

    static func text(_ metrics: PullGuardMetrics) -> String { String(decoding: metrics.exposition(), as: UTF8.self) }

    /// The sample line for `series` (name and labels exactly as written), its value parsed.
    static func value(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    @Test func existingCountersKeepTheirNamesWithThePrefix() {
        let metrics = PullGuardMetrics(eventLoops: 2)
        metrics.counters(forLoop: 0).increment(.handshakeFull, by: 2)
        metrics.counters(forLoop: 1).increment(.handshakeFull)
        let text = Self.text(metrics)
        #expect(Self.value(text, "pullguard_tls_handshakes_full_total") == 3)
        for counter in PullGuardMetrics.Counter.allCases {
            #expect(Self.value(text, "pullguard_\(counter.rawValue)") != nil, "\(counter.rawValue) is exported")
        }
    }

    @Test func perSiteCountsFromSeveralLoopsSumAndRepeatedScrapesDoNotDoubleCount() async throws {
        let loops = 3, perLoop = 10_000
        let metrics = PullGuardMetrics(eventLoops: loops)
        let table = metrics.siteMetrics(for: [Self.site("a"), Self.site("b")])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: loops)
        let work = group.makeIterator().enumerated().map { position, loop in
            loop.submit {
                for _ in 0..<perLoop {
                    table.increment(.requests(status: 204), site: SiteID(index: 1), loop: position)
                    table.admitted(site: SiteID(index: 1), anchor: 1, loop: position)
                }
                table.increment(.requests(status: 502), site: SiteID(index: 0), loop: position)
            }
        }
        try await EventLoopFuture.andAllSucceed(work, on: group.any()).get()
        try await group.shutdownGracefully()
        for _ in 0..<2 {
            let text = Self.text(metrics)
            #expect(Self.value(text, #"pullguard_requests_total{site="b",status_class="2xx",protocol="http/1.1"}"#)
                    == Double(loops * perLoop))
            #expect(Self.value(text, #"pullguard_requests_total{site="a",status_class="5xx",protocol="http/1.1"}"#) == Double(loops))
            #expect(Self.value(text, #"pullguard_requests_total{site="a",status_class="2xx",protocol="http/1.1"}"#) == 0)
            let new = #"pullguard_client_certificates_admitted_total{site="b",anchor="cloudflare",anchor_sha256="\#(Self.newCA.sha256)"}"#
            let old = #"pullguard_client_certificates_admitted_total{site="b",anchor="old-ca.pem",anchor_sha256="\#(Self.oldCA.sha256)"}"#
            #expect(Self.value(text, new) == Double(loops * perLoop))
            #expect(Self.value(text, old) == 0)
        }
    }

    @Test func aSiteThatPersistsAcrossGenerationsKeepsItsSeries() {
        let metrics = PullGuardMetrics(eventLoops: 1)
        let first = metrics.siteMetrics(for: [Self.site("a")])
        first.increment(.handshakeFull, site: SiteID(index: 0), loop: 0)
        first.admitted(site: SiteID(index: 0), anchor: 0, loop: 0)
        _ = Self.text(metrics)
        // The next generation puts another site first and drops the old CA: same names, same series.
        let second = metrics.siteMetrics(for: [Self.site("z"), Self.site("a", anchors: [Self.newCA])])
        second.increment(.handshakeFull, site: SiteID(index: 1), loop: 0)
        second.admitted(site: SiteID(index: 1), anchor: 0, loop: 0)
        let text = Self.text(metrics)
        #expect(Self.value(text, #"pullguard_site_tls_handshakes_total{site="a",result="full"}"#) == 2)
        #expect(Self.value(text, #"pullguard_site_tls_handshakes_total{site="z",result="full"}"#) == 0)
        #expect(metrics.admittedCount(site: "a", anchor: "old-ca.pem", sha256: Self.oldCA.sha256) == 1)
        #expect(metrics.admittedCount(site: "a", anchor: "cloudflare", sha256: Self.newCA.sha256) == 1)
    }

    @Test func unknownSitesAndAnchorsAreDroppedNotMisattributed() {
        let metrics = PullGuardMetrics(eventLoops: 1)
        let table = metrics.siteMetrics(for: [Self.site("a")])
        table.increment(.handshakeFull, site: SiteID(index: 5), loop: 0)
        table.admitted(site: SiteID(index: 0), anchor: 7, loop: 0)
        table.admitted(site: SiteID(index: 0), anchor: nil, loop: 0)
        SiteMetricsTable.empty.increment(.handshakeFull, site: SiteID(index: 0), loop: 0)
        #expect(metrics.siteCount(.handshakeFull, site: "a") == 0)
        #expect(metrics.admittedCount(site: "a", anchor: "old-ca.pem", sha256: Self.oldCA.sha256) == 0)
        #expect(metrics.admittedCount(site: "a", anchor: "cloudflare", sha256: Self.newCA.sha256) == 0)
    }

    @Test func expiryGaugesAreUnixSeconds() {
        let metrics = PullGuardMetrics(eventLoops: 1)
        _ = metrics.siteMetrics(for: [Self.site("a")])
        let text = Self.text(metrics)
        // The earlier of the two server certificates.
        #expect(Self.value(text, #"pullguard_server_certificate_not_after_seconds{site="a"}"#) == 1_800_000_000)
        #expect(Self.value(text, #"pullguard_trust_anchor_not_after_seconds{site="a",anchor="old-ca.pem",anchor_sha256="\#(Self.oldCA.sha256)"}"#)
                == 2_000_000_000)
        #expect(Self.value(text, #"pullguard_crl_next_update_seconds{site="a",crl="ca.crl"}"#) == 1_700_000_000)
        #expect(!text.contains("none.crl"))
    }

    @Test func generationAndReloadSetters() {
        let metrics = PullGuardMetrics(eventLoops: 1)
        metrics.recordGeneration(number: 3, loadedAt: Date(timeIntervalSince1970: 1_234))
        metrics.recordReload(success: true)
        metrics.recordReload(success: false)
        metrics.recordReload(success: false)
        metrics.observeActiveConnections { 7 }
        let text = Self.text(metrics)
        #expect(Self.value(text, "pullguard_config_generation") == 3)
        #expect(Self.value(text, "pullguard_config_last_reload_success_timestamp_seconds") == 1_234)
        #expect(Self.value(text, #"pullguard_config_reload_total{result="success"}"#) == 1)
        #expect(Self.value(text, #"pullguard_config_reload_total{result="failure"}"#) == 2)
        #expect(Self.value(text, "pullguard_active_connections") == 7)
    }

    @Test func durationHistogramsAreOnePerLoop() {
        let metrics = PullGuardMetrics(eventLoops: 2)
        metrics.handshakeDuration(forLoop: 1).recordNanoseconds(3_000_000)
        metrics.requestDuration(forLoop: 0).recordNanoseconds(700_000)
        let text = Self.text(metrics)
        #expect(Self.value(text, #"pullguard_tls_handshake_duration_seconds_count{worker="1"}"#) == 1)
        #expect(Self.value(text, #"pullguard_tls_handshake_duration_seconds_bucket{worker="1",le="0.005"}"#) == 1)
        #expect(Self.value(text, #"pullguard_tls_handshake_duration_seconds_bucket{worker="1",le="0.002"}"#) == 0)
        #expect(Self.value(text, #"pullguard_tls_handshake_duration_seconds_count{worker="0"}"#) == 0)
        #expect(Self.value(text, #"pullguard_request_duration_seconds_bucket{worker="0",le="0.001"}"#) == 1)
    }

    @Test func statusClasses() {
        #expect(SiteCounter.requests(status: 101) == .requests1xx)
        #expect(SiteCounter.requests(status: 200) == .requests2xx)
        #expect(SiteCounter.requests(status: 399) == .requests3xx)
        #expect(SiteCounter.requests(status: 421) == .requests4xx)
        #expect(SiteCounter.requests(status: 503) == .requests5xx)
        #expect(SiteCounter.requests(status: 999) == .requests5xx)
    }
}
