import Testing
@testable import PullGuard

/// Transitions of the TLS connection state machine, without OpenSSL or sockets.
@Suite struct TLSServerStateMachineTests {
    @Test func bytesDuringHandshakeStepTheHandshake() {
        var machine = TLSServerStateMachine()
        #expect(machine.bytesReceived() == .continueHandshake)
        #expect(machine.handshakeStepped(.needsMoreData) == .flushAndWait)
        #expect(machine.state == .handshaking)
    }

    @Test func completedHandshakeAnnouncesAndThenDecrypts() {
        var machine = TLSServerStateMachine()
        #expect(machine.handshakeStepped(.complete) == .announceEstablished)
        #expect(machine.state == .established)
        #expect(machine.bytesReceived() == .decrypt)
    }

    @Test func failedHandshakeFlushesTheAlertAndCloses() {
        var machine = TLSServerStateMachine()
        #expect(machine.handshakeStepped(.failed) == .flushAlertAndClose)
        #expect(machine.state == .closed)
        #expect(machine.bytesReceived() == .ignore)
        #expect(machine.writeRequested() == .fail)
    }

    @Test func writesBeforeTheHandshakeAreBuffered() {
        var machine = TLSServerStateMachine()
        #expect(machine.writeRequested() == .buffer)
        _ = machine.handshakeStepped(.complete)
        #expect(machine.writeRequested() == .encrypt)
    }

    @Test func closeAfterEstablishedSendsCloseNotify() {
        var machine = TLSServerStateMachine()
        _ = machine.handshakeStepped(.complete)
        #expect(machine.closeRequested() == .sendCloseNotifyThenClose)
        #expect(machine.closeRequested() == .ignore)
        #expect(machine.writeRequested() == .fail)
    }

    @Test func closeDuringHandshakeClosesNow() {
        var machine = TLSServerStateMachine()
        #expect(machine.closeRequested() == .closeNow)
    }

    @Test func peerCloseNotifyClosesGracefully() {
        var machine = TLSServerStateMachine()
        _ = machine.handshakeStepped(.complete)
        #expect(machine.readStepped(.peerClosed) == .closeGracefully)
        #expect(machine.state == .closing)
    }

    @Test func corruptRecordClosesWithError() {
        var machine = TLSServerStateMachine()
        _ = machine.handshakeStepped(.complete)
        #expect(machine.readStepped(.failed) == .closeWithError)
        #expect(machine.state == .closed)
    }

    @Test func inactiveDuringHandshakeIsAnAbandonedHandshake() {
        var machine = TLSServerStateMachine()
        #expect(machine.channelInactive() == .abandonedHandshake)
        var established = TLSServerStateMachine()
        _ = established.handshakeStepped(.complete)
        #expect(established.channelInactive() == .endedCleanly)
        var refused = TLSServerStateMachine()
        _ = refused.handshakeStepped(.failed)
        #expect(refused.channelInactive() == .failPendingAndForward)
    }

    @Test func lateHandshakeResultsAreIgnored() {
        var machine = TLSServerStateMachine()
        _ = machine.handshakeStepped(.complete)
        #expect(machine.handshakeStepped(.failed) == .ignore)
        #expect(machine.state == .established)
    }
}
