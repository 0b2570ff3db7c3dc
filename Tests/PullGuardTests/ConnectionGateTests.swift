import NIOCore
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

    /// `client_ips`: an address outside the list is refused before the limits are looked at
    /// and takes no slot; a reload's list applies to the next accept.
    @Test func addressOutsideTheListIsRefusedWithoutTakingASlot() throws {
        let local = try SocketAddress(ipAddress: "127.0.0.1", port: 50_000)
        let other = try SocketAddress(ipAddress: "127.0.0.2", port: 50_000)
        let list = ClientAddressList([try ClientCIDR(parsing: "127.0.0.2/32")])
        let gate = ConnectionGate(limits: ConnectionLimits(maxConnections: 1, maxHandshakes: 1), clientAddresses: list)
        #expect(gate.admit(from: local) == .clientAddressRefused)
        #expect(gate.openConnections == 0 && gate.handshakesInProgress == 0)
        #expect(gate.admit(from: nil) == .clientAddressRefused)
        #expect(gate.admit(from: other) == .admitted)
        // Over the limit and outside the list: the address is the reason given.
        #expect(gate.admit(from: local) == .clientAddressRefused)
        #expect(gate.admit(from: other) == .overMaxConnections)
        gate.closed(handshakeFinished: false)

        gate.update(limits: ConnectionLimits(maxConnections: 1, maxHandshakes: 1),
                    clientAddresses: ClientAddressList([try ClientCIDR(parsing: "127.0.0.1/32")]))
        #expect(gate.admit(from: other) == .clientAddressRefused)
        #expect(gate.admit(from: local) == .admitted)
        gate.closed(handshakeFinished: false)
        gate.update(limits: ConnectionLimits(maxConnections: 1, maxHandshakes: 1), clientAddresses: nil)
        #expect(gate.admit(from: other) == .admitted)
    }
}
