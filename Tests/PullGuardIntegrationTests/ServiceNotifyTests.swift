import Foundation
import PullGuardTestSupport
import Testing

/// `Type=notify` against the real binary: the test binds the socket systemd would, starts
/// `pullguard run` with `$NOTIFY_SOCKET` naming it, and reads what a service manager reads.
@Suite struct ServiceNotifyTests {
    static func temporaryDirectory() throws -> URL {
        // Short: a socket path must fit sockaddr_un's 108 bytes.
        let url = URL(fileURLWithPath: "/tmp/pg-notify-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func start(notifySocket: String) throws -> PullGuardProcess {
        try PullGuardProcess.start(ProxyScenario.siteFlags(upstreamPort: 9), environment: ["NOTIFY_SOCKET": notifySocket])
    }

    @Test func readyReloadingReadyThenStoppingOverAPathSocket() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let listener = try NotifySocketListener(directory: directory)
        let proxy = try Self.start(notifySocket: listener.notifySocket)
        defer { proxy.stop() }

        #expect(listener.next() == "READY=1")

        proxy.signal(SIGHUP)
        let reloading = try #require(listener.next())
        let lines = reloading.split(separator: "\n")
        #expect(lines.first == "RELOADING=1", "\(reloading)")
        let stamp = try #require(lines.dropFirst().first.flatMap { $0.hasPrefix("MONOTONIC_USEC=") ? UInt64($0.dropFirst(15)) : nil },
                                 "no MONOTONIC_USEC in \(reloading)")
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let nowMicroseconds = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
        #expect(stamp <= nowMicroseconds && nowMicroseconds - stamp < 60_000_000, "MONOTONIC_USEC \(stamp), now \(nowMicroseconds)")
        #expect(listener.next() == "READY=1")
        #expect(await proxy.eventuallyLogs("configuration reloaded"))

        proxy.signal(SIGTERM)
        #expect(listener.next() == "STOPPING=1")
        #expect(await proxy.exitStatus(within: .seconds(10)) == 0)
        #expect(listener.next(within: 1) == nil, "nothing after STOPPING=1")
    }

    @Test func readyOverAnAbstractSocket() throws {
        let listener = try NotifySocketListener(directory: URL(fileURLWithPath: "/tmp"), abstract: true)
        #expect(listener.notifySocket.hasPrefix("@"))
        let proxy = try Self.start(notifySocket: listener.notifySocket)
        defer { proxy.stop() }

        #expect(listener.next() == "READY=1")
    }
}
