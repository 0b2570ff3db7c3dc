import Testing
@testable import PullGuard

/// The watcher's decisions, without timers or files: fingerprints and instants in, actions out.
@Suite("ConfigWatchStateMachine")
struct ConfigWatchStateMachineTests {
    let start = ContinuousClock.now

    func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }

    static func file(_ inode: UInt64, path: String = "/etc/pullguard/cert.pem") -> FileFingerprint {
        .present(.init(device: 1, inode: inode, size: 100, modifiedNanoseconds: 5, resolvedPath: path, contentHash: 7))
    }

    let cert = "/etc/pullguard/cert.pem"
    let key = "/etc/pullguard/key.pem"

    @Test func nothingChangedNeverReloads() {
        var machine = ConfigWatchStateMachine(debounce: .seconds(1))
        let snapshot = [cert: Self.file(1), key: Self.file(2)]
        for step in 0..<20 {
            #expect(machine.observed(snapshot, at: at(step * 500)) == .wait)
        }
    }

    @Test func aChangeReloadsOnceAfterTheQuietPeriod() {
        var machine = ConfigWatchStateMachine(debounce: .seconds(1))
        #expect(machine.observed([cert: Self.file(1)], at: at(0)) == .wait)
        #expect(machine.observed([cert: Self.file(2)], at: at(500)) == .wait)
        #expect(machine.observed([cert: Self.file(2)], at: at(1000)) == .wait)
        #expect(machine.observed([cert: Self.file(2)], at: at(1500)) == .reload)
        #expect(machine.observed([cert: Self.file(2)], at: at(2000)) == .wait)
        #expect(machine.observed([cert: Self.file(2)], at: at(9000)) == .wait)
    }

    @Test func aBurstOfChangesRestartsTheQuietPeriodAndGivesOneReload() {
        var machine = ConfigWatchStateMachine(debounce: .seconds(1))
        _ = machine.observed([cert: Self.file(1), key: Self.file(10)], at: at(0))
        var actions: [ConfigWatchStateMachine.Action] = []
        // cert, then key, then cert again, each within the debounce of the previous change.
        actions.append(machine.observed([cert: Self.file(2), key: Self.file(10)], at: at(500)))
        actions.append(machine.observed([cert: Self.file(2), key: Self.file(11)], at: at(1000)))
        actions.append(machine.observed([cert: Self.file(3), key: Self.file(11)], at: at(1900)))
        actions.append(machine.observed([cert: Self.file(3), key: Self.file(11)], at: at(2500)))
        #expect(actions == [.wait, .wait, .wait, .wait])
        #expect(machine.observed([cert: Self.file(3), key: Self.file(11)], at: at(2900)) == .reload)
    }

    @Test func aDeletedFileIsAChangeAndItsReturnIsAnother() {
        var machine = ConfigWatchStateMachine(debounce: .milliseconds(500))
        _ = machine.observed([cert: Self.file(1)], at: at(0))
        #expect(machine.observed([cert: .missing], at: at(100)) == .wait)
        #expect(machine.observed([cert: .missing], at: at(600)) == .reload)
        #expect(machine.observed([cert: Self.file(2)], at: at(700)) == .wait)
        #expect(machine.observed([cert: Self.file(2)], at: at(1200)) == .reload)
    }

    @Test func deletedAndRecreatedWithinTheDebounceIsOneReload() {
        var machine = ConfigWatchStateMachine(debounce: .milliseconds(500))
        _ = machine.observed([cert: Self.file(1)], at: at(0))
        #expect(machine.observed([cert: .missing], at: at(100)) == .wait)
        #expect(machine.observed([cert: Self.file(2)], at: at(200)) == .wait)
        #expect(machine.observed([cert: Self.file(2)], at: at(700)) == .reload)
        #expect(machine.observed([cert: Self.file(2)], at: at(1300)) == .wait)
    }

    @Test func aSymlinkRetargetedToAnIdenticalLookingFileIsAChange() {
        var machine = ConfigWatchStateMachine(debounce: .milliseconds(500))
        _ = machine.observed([cert: Self.file(1, path: "/s/..2026_12_01_a/cert.pem")], at: at(0))
        #expect(machine.observed([cert: Self.file(1, path: "/s/..2026_12_01_b/cert.pem")], at: at(100)) == .wait)
        #expect(machine.observed([cert: Self.file(1, path: "/s/..2026_12_01_b/cert.pem")], at: at(600)) == .reload)
    }

    @Test func newPathsJoinTheBaselineWithoutAReloadAndDroppedOnesAreForgotten() {
        var machine = ConfigWatchStateMachine(debounce: .milliseconds(500))
        _ = machine.observed([cert: Self.file(1)], at: at(0))
        // After update(paths:): the key is new, the cert is no longer watched.
        #expect(machine.observed([key: Self.file(10)], at: at(100)) == .wait)
        #expect(machine.observed([key: Self.file(10)], at: at(1000)) == .wait)
        #expect(machine.observed([key: Self.file(11)], at: at(1100)) == .wait)
        #expect(machine.observed([key: Self.file(11)], at: at(1600)) == .reload)
    }

    @Test func zeroDebounceReloadsOnTheFirstPollThatSeesTheChange() {
        var machine = ConfigWatchStateMachine(debounce: .zero)
        _ = machine.observed([cert: Self.file(1)], at: at(0))
        #expect(machine.observed([cert: Self.file(2)], at: at(100)) == .reload)
        #expect(machine.observed([cert: Self.file(2)], at: at(200)) == .wait)
    }
}
