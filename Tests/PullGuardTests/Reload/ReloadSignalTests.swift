import Foundation
import PullGuardTestSupport
import Testing
@testable import PullGuard

/// SIGHUP reaches a real process; a missing or foreign process is refused with a clear error.
@Suite("ReloadSignal", .serialized)
struct ReloadSignalTests {
    @Test func hangupReachesTheProcess() async throws {
        let scratch = try ScratchDirectory("signal-hup")
        defer { scratch.remove() }
        let target = try await HangupRecorder.start(marker: scratch.path("hup"))
        defer { target.stop() }
        try ReloadSignal.send(to: target.pid, source: .explicit)
        #expect(await target.waitForMarker())
    }

    @Test func aDeadProcessIsNoSuchProcess() async throws {
        let pid = try HangupRecorder.exitedProcessID()
        #expect(throws: ReloadSignalError.noSuchProcess(pid: pid, source: .pidFile("/run/pullguard.pid"))) {
            try ReloadSignal.send(to: pid, source: .pidFile("/run/pullguard.pid"))
        }
    }

    /// A stale pid file whose id now belongs to another program must not kill it (SIGHUP's default action).
    @Test func aProcessThatIsNotPullGuardIsRefusedWhenNamedByAPidFile() async throws {
        let scratch = try ScratchDirectory("signal-foreign")
        defer { scratch.remove() }
        let target = try await HangupRecorder.start(marker: scratch.path("hup"))
        defer { target.stop() }
        do {
            try ReloadSignal.send(to: target.pid, source: .pidFile("/run/pullguard.pid"))
            Issue.record("expected a refusal")
        } catch {
            guard case .notPullGuard(let pid, let command, _) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(pid == target.pid)
            #expect(command.contains("python3"))
        }
        #expect(await target.waitForMarker(limit: .milliseconds(300)) == false)
    }

    @Test func aPullGuardNamedProcessFromAPidFileIsSignalled() async throws {
        let scratch = try ScratchDirectory("signal-named")
        defer { scratch.remove() }
        let target = try await HangupRecorder.start(marker: scratch.path("hup"), argv0: "/usr/local/bin/pullguard")
        defer { target.stop() }
        try ReloadSignal.send(to: target.pid, source: .pidFile("/run/pullguard.pid"))
        #expect(await target.waitForMarker())
    }

    @Test func programNames() {
        #expect(ReloadSignal.looksLikePullGuard("/work/.build/debug/pullguard"))
        #expect(ReloadSignal.looksLikePullGuard("PullGuard"))
        #expect(!ReloadSignal.looksLikePullGuard("/usr/bin/python3"))
        #expect(!ReloadSignal.looksLikePullGuard("/opt/pullguard/bin/nginx"))
    }
}
