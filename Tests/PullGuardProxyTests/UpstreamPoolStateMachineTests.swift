import Testing
@testable import PullGuardCore
@testable import PullGuardProxy

@Suite struct ProxyUpstreamPoolStateMachineTests {
    let a = UpstreamAddress(host: "127.0.0.1", port: 8080)
    let b = UpstreamAddress(host: "127.0.0.1", port: 8081)

    func leasedConnection(_ machine: inout UpstreamPoolStateMachine, _ upstream: UpstreamAddress)
        -> UpstreamPoolStateMachine.ConnectionID {
        guard case .connect(let id) = machine.lease(upstream) else {
            Issue.record("expected a new connection")
            return .init(slot: -1, generation: -1)
        }
        let r1 = machine.connected(id)
        #expect(r1)
        return id
    }

    @Test func emptyPoolConnectsThenReusesParked() {
        var machine = UpstreamPoolStateMachine(maxIdlePerUpstream: 2)
        let id = leasedConnection(&machine, a)
        let r2 = machine.release(id, reusable: true)
        #expect(r2 == .park)
        #expect(machine.idleCount(a) == 1)
        let r3 = machine.lease(a)
        #expect(r3 == .useIdle(id))
        #expect(machine.idleCount(a) == 0)
    }

    /// A slot is reused once its connection is forgotten: a late release or close of the
    /// old connection must not reach the slot's new one.
    @Test func aForgottenConnectionsIDDoesNotReachItsSlotsNextConnection() {
        var machine = UpstreamPoolStateMachine(maxIdlePerUpstream: 2)
        let old = leasedConnection(&machine, a)
        machine.closed(old)
        let new = leasedConnection(&machine, a)
        #expect(new.slot == old.slot && new != old, "the slot is reused under a new generation")
        let lateRelease = machine.release(old, reusable: true)
        #expect(lateRelease == .close, "the old connection's late release")
        #expect(machine.inUseCount(a) == 1, "the new connection is still leased")
        let release = machine.release(new, reusable: true)
        #expect(release == .park)
        let lateClose = machine.closed(old)
        #expect(!lateClose, "the old connection's late close")
        #expect(machine.idleCount(a) == 1, "the new connection stays parked")
        let lease = machine.lease(a)
        #expect(lease == .useIdle(new))
        #expect(machine.connectionCount == 1)
    }

    @Test func upstreamsDoNotShareConnections() {
        var machine = UpstreamPoolStateMachine(maxIdlePerUpstream: 2)
        let id = leasedConnection(&machine, a)
        _ = machine.release(id, reusable: true)
        guard case .connect(let other) = machine.lease(b) else { Issue.record("expected connect"); return }
        #expect(other != id)
    }

    @Test func nonReusableIsClosed() {
        var machine = UpstreamPoolStateMachine(maxIdlePerUpstream: 2)
        let id = leasedConnection(&machine, a)
        let r4 = machine.release(id, reusable: false)
        #expect(r4 == .close)
        #expect(machine.connectionCount == 0)
    }

    @Test func excessIdleIsClosed() {
        var machine = UpstreamPoolStateMachine(maxIdlePerUpstream: 1)
        let first = leasedConnection(&machine, a)
        let second = leasedConnection(&machine, a)
        let r5 = machine.release(first, reusable: true)
        #expect(r5 == .park)
        let r6 = machine.release(second, reusable: true)
        #expect(r6 == .close)
        #expect(machine.idleCount(a) == 1)
    }

    @Test func closedIdleIsDropped() {
        var machine = UpstreamPoolStateMachine(maxIdlePerUpstream: 2)
        let id = leasedConnection(&machine, a)
        _ = machine.release(id, reusable: true)
        let r7 = machine.closed(id)
        #expect(r7)
        #expect(machine.idleCount(a) == 0)
        guard case .connect = machine.lease(a) else { Issue.record("expected connect"); return }
    }

    @Test func leasedConnectionClosedThenReleasedIsClosed() {
        var machine = UpstreamPoolStateMachine(maxIdlePerUpstream: 2)
        let id = leasedConnection(&machine, a)
        let r8 = machine.closed(id)
        #expect(!r8)
        let r9 = machine.release(id, reusable: true)
        #expect(r9 == .close)
        #expect(machine.idleCount(a) == 0)
    }

    @Test func failedConnectIsForgotten() {
        var machine = UpstreamPoolStateMachine(maxIdlePerUpstream: 2)
        guard case .connect(let id) = machine.lease(a) else { Issue.record("expected connect"); return }
        machine.connectFailed(id)
        #expect(machine.connectionCount == 0)
    }

    @Test func shutdownClosesParkedAndRefusesLeases() {
        var machine = UpstreamPoolStateMachine(maxIdlePerUpstream: 2)
        let parked = leasedConnection(&machine, a)
        let leased = leasedConnection(&machine, a)
        _ = machine.release(parked, reusable: true)
        guard case .connect(let connecting) = machine.lease(b) else { Issue.record("expected connect"); return }
        let r10 = machine.shutdown()
        #expect(r10 == [parked])
        let r11 = machine.lease(a)
        #expect(r11 == .fail)
        let r12 = machine.release(leased, reusable: true)
        #expect(r12 == .close)
        let r13 = machine.connected(connecting)
        #expect(!r13)
    }

    /// A burst's connections are kept through the interval after it, so the next
    /// burst finds them, and closed after an interval that did not use them.
    @Test func purgeClosesParkedConnectionsAfterAnIntervalThatDidNotNeedThem() {
        var machine = UpstreamPoolStateMachine(maxIdlePerUpstream: 10)
        let ids = (0..<3).map { _ in leasedConnection(&machine, a) }
        for id in ids {
            let r14 = machine.release(id, reusable: true)
            #expect(r14 == .park)
        }
        let r15 = machine.purge()
        #expect(r15.isEmpty, "three were in use at once in this interval")
        #expect(machine.idleCount(a) == 3)
        let r16 = machine.purge()
        #expect(r16 == ids, "none was used in the last interval; the least recently parked first")
        #expect(machine.idleCount(a) == 0)
        #expect(machine.connectionCount == 0)
        guard case .connect = machine.lease(a) else { Issue.record("expected a new connection"); return }
    }

    /// What is kept is the interval's peak less what is in use now; the rest of the
    /// parked connections, least recently parked first, are closed.
    @Test func purgeKeepsThePeakLessWhatIsInUse() {
        var machine = UpstreamPoolStateMachine(maxIdlePerUpstream: 10)
        let ids = (0..<4).map { _ in leasedConnection(&machine, a) }
        for id in ids { _ = machine.release(id, reusable: true) }
        _ = machine.purge()
        // This interval: two in use at once, one still in use at the purge.
        let r17 = machine.lease(a)
        #expect(r17 == .useIdle(ids[3]))
        let r18 = machine.lease(a)
        #expect(r18 == .useIdle(ids[2]))
        let r19 = machine.release(ids[2], reusable: true)
        #expect(r19 == .park)
        #expect(machine.inUseCount(a) == 1)
        let r20 = machine.purge()
        #expect(r20 == [ids[0], ids[1]])
        #expect(machine.idleCount(a) == 1)
        let r21 = machine.lease(a)
        #expect(r21 == .useIdle(ids[2]))
        let r22 = machine.purge()
        #expect(r22.isEmpty, "nothing is parked")
    }

    @Test func purgeLeavesOtherUpstreamsAlone() {
        var machine = UpstreamPoolStateMachine(maxIdlePerUpstream: 10)
        let onA = leasedConnection(&machine, a)
        _ = machine.release(onA, reusable: true)
        _ = machine.purge()
        let onB = leasedConnection(&machine, b)
        _ = machine.release(onB, reusable: true)
        let r23 = machine.purge()
        #expect(r23 == [onA], "b's connection was used in this interval")
        #expect(machine.idleCount(b) == 1)
    }

    /// The in-use count, which the purge subtracts, follows every way a connection
    /// stops being in use, so it cannot drift and keep (or close) the wrong number.
    @Test func inUseCountFollowsFailuresClosesAndShutdown() {
        var machine = UpstreamPoolStateMachine(maxIdlePerUpstream: 10)
        guard case .connect(let failed) = machine.lease(a) else { Issue.record("expected connect"); return }
        machine.connectFailed(failed)
        #expect(machine.inUseCount(a) == 0)
        let closedWhileLeased = leasedConnection(&machine, a)
        machine.closed(closedWhileLeased)
        #expect(machine.inUseCount(a) == 0)
        let r24 = machine.release(closedWhileLeased, reusable: true)
        #expect(r24 == .close)
        #expect(machine.inUseCount(a) == 0, "a release after the close is not counted twice")
        let notReusable = leasedConnection(&machine, a)
        _ = machine.release(notReusable, reusable: false)
        #expect(machine.inUseCount(a) == 0)
        let leased = leasedConnection(&machine, a)
        guard case .connect(let connecting) = machine.lease(a) else { Issue.record("expected connect"); return }
        #expect(machine.inUseCount(a) == 2)
        _ = machine.shutdown()
        let r25 = machine.connected(connecting)
        #expect(!r25)
        let r26 = machine.release(leased, reusable: true)
        #expect(r26 == .close)
        #expect(machine.inUseCount(a) == 0)
        #expect(machine.connectionCount == 0)
    }
}
