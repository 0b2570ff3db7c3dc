import Testing
@testable import PullGuard
@testable import PullGuardCore

/// The accept-time limits as a value: which connection is refused, and that every slot comes back.
@Suite struct ConnectionGateTests {
    @Test func handshakesInProgressAreCappedAndFinishedOnesFreeTheirSlot() {
        let gate = ConnectionGate(limits: ConnectionLimits(maxConnections: 10, maxHandshakes: 2))
        #expect(gate.admit(from: nil) == .admitted)
        #expect(gate.admit(from: nil) == .admitted)
        #expect(gate.admit(from: nil) == .overMaxHandshakes)
        gate.handshakeFinished()
        #expect(gate.admit(from: nil) == .admitted)
        #expect(gate.openConnections == 3)
        #expect(gate.handshakesInProgress == 2)
    }

    @Test func openConnectionsAreCappedWhateverTheirHandshakeState() {
        let gate = ConnectionGate(limits: ConnectionLimits(maxConnections: 2, maxHandshakes: 10))
        #expect(gate.admit(from: nil) == .admitted)
        gate.handshakeFinished()
        #expect(gate.admit(from: nil) == .admitted)
        #expect(gate.admit(from: nil) == .overMaxConnections)
        gate.closed(handshakeFinished: true)
        #expect(gate.admit(from: nil) == .admitted)
    }

    @Test func aConnectionClosedDuringItsHandshakeGivesBothSlotsBack() {
        let gate = ConnectionGate(limits: ConnectionLimits(maxConnections: 1, maxHandshakes: 1))
        #expect(gate.admit(from: nil) == .admitted)
        gate.closed(handshakeFinished: false)
        #expect(gate.openConnections == 0)
        #expect(gate.handshakesInProgress == 0)
        #expect(gate.admit(from: nil) == .admitted)
    }
}
