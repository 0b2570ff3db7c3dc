import Foundation
import PullGuardTestSupport
import Testing
@testable import PullGuard

/// sd_notify without libsystemd: the datagram texts, the `$NOTIFY_SOCKET` address forms,
/// and one datagram through a real socket (the binary's sequence: ServiceNotifyTests).
@Suite struct ServiceNotifierTests {
    @Test func messagesAreSystemdAssignments() {
        #expect(ServiceNotification.ready.text == "READY=1")
        #expect(ServiceNotification.stopping.text == "STOPPING=1")
        #expect(ServiceNotification.reloading(monotonicMicroseconds: 1_234_567).text == "RELOADING=1\nMONOTONIC_USEC=1234567")
        // A newline in a status would start a new assignment (READY=1 injected from text).
        #expect(ServiceNotification.status("a\nREADY=1").text == "STATUS=a READY=1")
    }

    @Test func reloadingNowIsStampedWithTheMonotonicClock() {
        var before = timespec()
        clock_gettime(CLOCK_MONOTONIC, &before)
        guard case .reloading(let stamp) = ServiceNotification.reloadingNow() else {
            Issue.record("not a reloading notification")
            return
        }
        let beforeMicroseconds = UInt64(before.tv_sec) * 1_000_000 + UInt64(before.tv_nsec) / 1_000
        #expect(stamp >= beforeMicroseconds && stamp - beforeMicroseconds < 10_000_000)
    }

    @Test func pathAndAbstractAddresses() {
        let family = withUnsafeBytes(of: sa_family_t(AF_UNIX)) { Array($0) }
        #expect(ServiceNotifier.socketAddress("/run/systemd/notify") == family + Array("/run/systemd/notify".utf8) + [0])
        // `@name` is the abstract name NUL + "name", with no terminator: its length is part of the name.
        #expect(ServiceNotifier.socketAddress("@sd-notify") == family + [0] + Array("sd-notify".utf8))
    }

    @Test func unusableNamesGiveNoNotifier() {
        #expect(ServiceNotifier(environment: [:]) == nil)
        #expect(ServiceNotifier(environment: ["NOTIFY_SOCKET": ""]) == nil)
        #expect(ServiceNotifier(environment: ["NOTIFY_SOCKET": "relative/notify"]) == nil)
        #expect(ServiceNotifier(environment: ["NOTIFY_SOCKET": "vsock:2:1234"]) == nil)
        #expect(ServiceNotifier(environment: ["NOTIFY_SOCKET": "/" + String(repeating: "a", count: 200)]) == nil)
        #expect(ServiceNotifier(environment: ["NOTIFY_SOCKET": "/run/a\u{0}b"]) == nil)
    }

    @Test func sendReachesABoundSocket() throws {
        let directory = URL(fileURLWithPath: "/tmp/pg-notify-unit-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let listener = try NotifySocketListener(directory: directory)
        let notifier = try #require(ServiceNotifier(environment: ["NOTIFY_SOCKET": listener.notifySocket]))

        #expect(notifier.send(.ready))
        #expect(listener.next() == "READY=1")
    }

    @Test func sendToANameNobodyBoundFails() throws {
        let notifier = try #require(ServiceNotifier(environment: ["NOTIFY_SOCKET": "/tmp/pg-notify-nobody-\(UUID().uuidString)"]))
        #expect(!notifier.send(.ready))
    }
}
