import Testing
@testable import PullGuardTLS

/// Transitions of the TLS connection state machine, without OpenSSL or sockets.
@Suite struct TLSServerStateMachineTests {
    @Test func bytesDuringHandshakeStepTheHandshake() {
        var machine = TLSServerStateMachine()
        #expect(machine.bytesReceived() == .continueHandshake)
        #expect(machine.handshakeStepped(.needsMoreData) == .flushAndWait)
        #expect(machine.state == .handshaking)
    }

    /// TLS 1.3 with the request right behind the client's Finished: the session ticket
    /// waits for the response. Otherwise (nothing behind it, or TLS 1.2, whose server
    /// Finished a client may be waiting for) the last records are flushed at once.
    @Test(arguments: [(true, true, false), (true, false, true), (false, true, true), (false, false, true)])
    func lastHandshakeRecordsWaitOnlyForAResponseInTLS13(tls13: Bool, dataFollows: Bool, flushFirst: Bool) {
        var machine = TLSServerStateMachine()
        #expect(machine.handshakeStepped(.complete(tls13: tls13, applicationDataFollows: dataFollows))
                == .announceEstablished(flushFirst: flushFirst))
    }

    @Test func completedHandshakeAnnouncesAndThenDecrypts() {
        var machine = TLSServerStateMachine()
        #expect(machine.handshakeStepped(.complete(tls13: true, applicationDataFollows: false)) == .announceEstablished(flushFirst: true))
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
        _ = machine.handshakeStepped(.complete(tls13: true, applicationDataFollows: false))
        #expect(machine.writeRequested() == .encrypt)
    }

    @Test func closeAfterEstablishedSendsCloseNotify() {
        var machine = TLSServerStateMachine()
        _ = machine.handshakeStepped(.complete(tls13: true, applicationDataFollows: false))
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
        _ = machine.handshakeStepped(.complete(tls13: true, applicationDataFollows: false))
        #expect(machine.readStepped(.peerClosed) == .closeGracefully)
        #expect(machine.state == .closing)
    }

    @Test func corruptRecordClosesWithError() {
        var machine = TLSServerStateMachine()
        _ = machine.handshakeStepped(.complete(tls13: true, applicationDataFollows: false))
        #expect(machine.readStepped(.failed) == .closeWithError)
        #expect(machine.state == .closed)
    }

    @Test func inactiveDuringHandshakeIsAnAbandonedHandshake() {
        var machine = TLSServerStateMachine()
        #expect(machine.channelInactive() == .abandonedHandshake)
        var established = TLSServerStateMachine()
        _ = established.handshakeStepped(.complete(tls13: true, applicationDataFollows: false))
        #expect(established.channelInactive() == .endedCleanly)
        var refused = TLSServerStateMachine()
        _ = refused.handshakeStepped(.failed)
        #expect(refused.channelInactive() == .failPendingAndForward)
    }

    @Test func lateHandshakeResultsAreIgnored() {
        var machine = TLSServerStateMachine()
        _ = machine.handshakeStepped(.complete(tls13: true, applicationDataFollows: false))
        #expect(machine.handshakeStepped(.failed) == .ignore)
        #expect(machine.state == .established)
    }
}
