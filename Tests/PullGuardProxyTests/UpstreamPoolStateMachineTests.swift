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
            return .init(raw: -1)
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
}
