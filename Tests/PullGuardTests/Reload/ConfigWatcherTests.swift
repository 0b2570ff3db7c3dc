import Foundation
import PullGuardCore
import PullGuardTestSupport
import Testing
@testable import PullGuard

/// `ConfigWatcher` on a real file system: each way of replacing a file is reported once,
/// after the debounce. Short intervals keep each test well under a few seconds; every wait
/// has a deadline.
@Suite("ConfigWatcher", .serialized)
struct ConfigWatcherTests {
    static let interval = Duration.milliseconds(20)
    static let debounce = Duration.milliseconds(200)
    /// Long enough after the first event for a wrongly repeated one to show up.
    static let settle = Duration.milliseconds(700)

    /// Watches `paths`, performs `change`, and returns how many changes were reported:
    /// waits for the first (up to 10 s), then `settle` more for any duplicate.
    func changesReported(watching paths: [String], debounce: Duration = Self.debounce, expectAny: Bool = true,
                         _ change: () async throws -> Void) async throws -> Int {
        let watcher = ConfigWatcher(paths: paths, interval: Self.interval, debounce: debounce)
        let counter = ChangeCounter(watcher.changes())
        defer { counter.stop() }
        try await change()
        if expectAny { await counter.wait(for: 1) }
        try await Task.sleep(for: Self.settle + debounce - Self.debounce)
        return counter.value
    }

    @Test func rewriteInPlaceIsOneChange() async throws {
        let scratch = try ScratchDirectory("watch-rewrite")
        defer { scratch.remove() }
        try scratch.write("pullguard.yaml", "listen: 1")
        let count = try await changesReported(watching: [scratch.path("pullguard.yaml")]) {
            try scratch.rewriteInPlace("pullguard.yaml", "listen: 2")
        }
        #expect(count == 1)
    }

    @Test func renameOverTheFileIsOneChange() async throws {
        let scratch = try ScratchDirectory("watch-rename")
        defer { scratch.remove() }
        try scratch.write("cert.pem", "old")
        let count = try await changesReported(watching: [scratch.path("cert.pem")]) {
            try scratch.write(".cert.pem.swp", "new")
            guard rename(scratch.path(".cert.pem.swp"), scratch.path("cert.pem")) == 0 else {
                throw CocoaError(.fileWriteUnknown)
            }
        }
        #expect(count == 1)
    }

    @Test func kubernetesAtomicDataSwapIsOneChange() async throws {
        let scratch = try ScratchDirectory("watch-k8s")
        defer { scratch.remove() }
        try KubernetesVolume.create(in: scratch, version: "a", files: ["tls.crt": "old cert", "tls.key": "old key"])
        let count = try await changesReported(watching: [scratch.path("tls.crt"), scratch.path("tls.key")]) {
            try KubernetesVolume.update(in: scratch, from: "a", to: "b", files: ["tls.crt": "new cert", "tls.key": "new key"])
        }
        #expect(count == 1)
    }

    @Test func deleteThenRecreateIsOneChange() async throws {
        let scratch = try ScratchDirectory("watch-recreate")
        defer { scratch.remove() }
        try scratch.write("ca.pem", "old")
        let count = try await changesReported(watching: [scratch.path("ca.pem")]) {
            try await OffPool.run {
                try FileManager.default.removeItem(atPath: scratch.path("ca.pem"))
                usleep(50_000)
                try scratch.write("ca.pem", "new")
            }
        }
        #expect(count == 1)
    }

    @Test func aBurstOfWritesIsOneChange() async throws {
        let scratch = try ScratchDirectory("watch-burst")
        defer { scratch.remove() }
        try scratch.write("crl.pem", "0")
        // A longer debounce than the others: the writes are 15 ms apart, and only a stall of
        // the writing thread longer than the debounce could split the burst.
        let count = try await changesReported(watching: [scratch.path("crl.pem")], debounce: .milliseconds(600)) {
            // On a thread of its own: the gaps must stay short even when the cooperative pool is busy.
            try await OffPool.run {
                for step in 1...10 {
                    try scratch.rewriteInPlace("crl.pem", String(repeating: "x", count: step))
                    usleep(15_000)
                }
            }
        }
        #expect(count == 1)
    }

    @Test func untouchedFilesReportNothing() async throws {
        let scratch = try ScratchDirectory("watch-quiet")
        defer { scratch.remove() }
        try scratch.write("cert.pem", "same")
        let count = try await changesReported(watching: [scratch.path("cert.pem"), scratch.path("absent.pem")],
                                               expectAny: false) {}
        #expect(count == 0)
    }

    @Test func updatedPathsAreWatchedAndDroppedOnesAreNot() async throws {
        let scratch = try ScratchDirectory("watch-update")
        defer { scratch.remove() }
        try scratch.write("old-ca.pem", "old")
        try scratch.write("new-ca.pem", "new")
        let watcher = ConfigWatcher(paths: [scratch.path("old-ca.pem")], interval: Self.interval, debounce: Self.debounce)
        let counter = ChangeCounter(watcher.changes())
        defer { counter.stop() }
        watcher.update(paths: [scratch.path("new-ca.pem")])
        #expect(watcher.paths == [scratch.path("new-ca.pem")])
        // Let a poll adopt the new path as its baseline.
        try await Task.sleep(for: .milliseconds(200))
        try scratch.rewriteInPlace("old-ca.pem", "old, edited")
        try await Task.sleep(for: Self.settle)
        #expect(counter.value == 0)
        try scratch.rewriteInPlace("new-ca.pem", "new, edited")
        #expect(await counter.wait(for: 1) == 1)
    }

    @Test func settingsGiveTheReferencedFilesAndTheConfiguredDebounce() throws {
        let tls = TLSSiteSettings(
            identities: [ServerIdentitySource(certificateChain: PEMSource(origin: "/etc/pg/cert.pem", pem: []),
                                              privateKey: PEMSource(origin: "/etc/pg/key.pem", pem: []))],
            trustSources: [TrustSource(name: "/etc/pg/ca.pem", bundle: PEMSource(origin: "/etc/pg/ca.pem", pem: []))])
        let settings = PullGuardSettings(
            listeners: [], workers: 1, sites: SiteTable(testing: [.tlsOnly(name: "a", serverNames: [], tls)]),
            tls: TLSListenerSettings(), proxy: ProxySettings(),
            reload: ReloadSettings(watch: true, watchDebounce: .milliseconds(1500)), configFile: "/etc/pg/pullguard.yaml")
        let watcher = ConfigWatcher(settings: settings)
        #expect(watcher.paths == ["/etc/pg/pullguard.yaml", "/etc/pg/cert.pem", "/etc/pg/key.pem", "/etc/pg/ca.pem"])
        #expect(watcher.debounce == .milliseconds(1500))
        #expect(watcher.interval == .milliseconds(500))
    }
}
