import Testing
@testable import PullGuardTooling

/// Transitions of the client-side TLS state machine, without OpenSSL or sockets.
@Suite struct TLSClientStateMachineTests {
    @Test func nothingHappensBeforeTheSocketIsActive() {
        var machine = TLSClientStateMachine()
        #expect(machine.bytesReceived() == .ignore)
        #expect(machine.writeRequested() == .buffer)
        #expect(machine.channelActive() == .startHandshake)
        #expect(machine.channelActive() == .ignore)
        #expect(machine.state == .handshaking)
    }

    @Test func bytesDuringHandshakeStepIt() {
        var machine = TLSClientStateMachine()
        _ = machine.channelActive()
        #expect(machine.bytesReceived() == .continueHandshake)
        #expect(machine.handshakeStepped(.needsMoreData) == .flushAndWait)
        #expect(machine.state == .handshaking)
    }

    @Test func completedHandshakeAnnouncesThenDecryptsAndEncrypts() {
        var machine = TLSClientStateMachine()
        _ = machine.channelActive()
        #expect(machine.writeRequested() == .buffer)
        #expect(machine.handshakeStepped(.complete) == .announceEstablished)
        #expect(machine.bytesReceived() == .decrypt)
        #expect(machine.writeRequested() == .encrypt)
        #expect(machine.handshakeStepped(.complete) == .ignore)
    }

    @Test func failedHandshakeReportsAndCloses() {
        var machine = TLSClientStateMachine()
        _ = machine.channelActive()
        #expect(machine.handshakeStepped(.failed) == .reportErrorAndClose)
        #expect(machine.state == .closed)
        #expect(machine.bytesReceived() == .ignore)
        #expect(machine.writeRequested() == .fail)
    }

    /// TLS 1.3: the server refuses the certificate after the client's Finished.
    @Test func alertOnTheFirstReadIsReportedAsAnError() {
        var machine = TLSClientStateMachine()
        _ = machine.channelActive()
        _ = machine.handshakeStepped(.complete)
        #expect(machine.readStepped(.data) == .deliver)
        #expect(machine.readStepped(.failed) == .reportErrorAndClose)
        #expect(machine.state == .closed)
        #expect(machine.readStepped(.data) == .ignore)
    }

    @Test func serverCloseNotifyClosesGracefully() {
        var machine = TLSClientStateMachine()
        _ = machine.channelActive()
        _ = machine.handshakeStepped(.complete)
        #expect(machine.readStepped(.peerClosed) == .closeGracefully)
        #expect(machine.channelInactive() == .forward)
    }

    @Test func closeAfterEstablishedSendsCloseNotifyOnce() {
        var machine = TLSClientStateMachine()
        _ = machine.channelActive()
        _ = machine.handshakeStepped(.complete)
        #expect(machine.closeRequested() == .sendCloseNotifyThenClose)
        #expect(machine.closeRequested() == .closeNow)
        #expect(machine.writeRequested() == .fail)
    }

    @Test func closeDuringHandshakeClosesRightAway() {
        var machine = TLSClientStateMachine()
        _ = machine.channelActive()
        #expect(machine.closeRequested() == .closeNow)
        #expect(machine.channelInactive() == .forward)
    }

    @Test func socketGoneDuringHandshakeIsReported() {
        var machine = TLSClientStateMachine()
        _ = machine.channelActive()
        #expect(machine.channelInactive() == .reportClosedDuringHandshake)
        #expect(machine.state == .closed)
        #expect(machine.channelInactive() == .forward)
    }
}
