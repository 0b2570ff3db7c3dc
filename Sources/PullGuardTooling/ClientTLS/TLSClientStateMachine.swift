/// The life of one client-side TLS connection, as a value: the mirror image of
/// `TLSServerStateMachine`. Each event returns the action `TLSClientHandler`
/// must perform; no I/O and no OpenSSL here (tests: Tests/PullGuardTests/Bench).
///
/// ```
/// idle ──active──▶ handshaking ──complete──▶ established ──close requested──▶ closing ──▶ closed
///                       │                         │                                         ▲
///                       └──failed / inactive──────┴──alert on read / close_notify / inactive┘
/// ```
/// With TLS 1.3 the server checks the client certificate after the client's
/// handshake finished, so a refusal arrives in `established` as a failed read:
/// that is why a read failure reports an error instead of just closing.
package struct TLSClientStateMachine {
    enum State: Equatable {
        /// Created, socket not yet connected: nothing to send.
        case idle
        /// ClientHello sent; waiting for the server's flights. Writes are buffered.
        case handshaking
        case established
        /// We queued close_notify; the socket closes once it is flushed.
        case closing
        case closed
    }

    private(set) var state: State = .idle

    enum ActiveAction: Equatable {
        /// Step the handshake once to produce the ClientHello, and flush it.
        case startHandshake
        case ignore
    }

    mutating func channelActive() -> ActiveAction {
        guard state == .idle else { return .ignore }
        state = .handshaking
        return .startHandshake
    }

    enum InboundAction: Equatable {
        /// Feed the bytes to OpenSSL and step the handshake.
        case continueHandshake
        /// Feed the bytes to OpenSSL and read application data.
        case decrypt
        /// Going away (or not yet started): drop the bytes.
        case ignore
    }

    func bytesReceived() -> InboundAction {
        switch state {
        case .handshaking: return .continueHandshake
        case .established: return .decrypt
        case .idle, .closing, .closed: return .ignore
        }
    }

    enum HandshakeStep: Equatable {
        case needsMoreData, complete, failed
    }

    enum HandshakeAction: Equatable {
        /// Flush our handshake records and wait for more bytes.
        case flushAndWait
        /// Flush, announce completion upward, release buffered writes, decrypt what's left.
        case announceEstablished
        /// Report the failure (with the alert the server sent) upward, flush our alert, close.
        case reportErrorAndClose
        case ignore
    }

    mutating func handshakeStepped(_ step: HandshakeStep) -> HandshakeAction {
        guard state == .handshaking else { return .ignore }
        switch step {
        case .needsMoreData:
            return .flushAndWait
        case .complete:
            state = .established
            return .announceEstablished
        case .failed:
            state = .closed
            return .reportErrorAndClose
        }
    }

    enum ReadStep: Equatable {
        case data, peerClosed, failed
    }

    enum ReadAction: Equatable {
        /// Pass decrypted bytes up (if any) and keep going.
        case deliver
        /// The server sent close_notify: tell the handlers above, then close.
        case closeGracefully
        /// An alert (a TLS 1.3 certificate refusal) or a bad record: report it upward, then close.
        case reportErrorAndClose
        case ignore
    }

    mutating func readStepped(_ step: ReadStep) -> ReadAction {
        guard state == .established else { return .ignore }
        switch step {
        case .data:
            return .deliver
        case .peerClosed:
            state = .closed
            return .closeGracefully
        case .failed:
            state = .closed
            return .reportErrorAndClose
        }
    }

    enum WriteAction: Equatable {
        /// Not established yet: hold the write until the handshake completes.
        case buffer
        case encrypt
        /// Too late: fail the write's promise.
        case fail
    }

    func writeRequested() -> WriteAction {
        switch state {
        case .idle, .handshaking: return .buffer
        case .established: return .encrypt
        case .closing, .closed: return .fail
        }
    }

    enum CloseAction: Equatable {
        /// Queue close_notify, flush it, then close the socket.
        case sendCloseNotifyThenClose
        /// Nothing established: close the socket right away.
        case closeNow
    }

    mutating func closeRequested() -> CloseAction {
        switch state {
        case .established:
            state = .closing
            return .sendCloseNotifyThenClose
        case .idle, .handshaking, .closing, .closed:
            state = .closed
            return .closeNow
        }
    }

    enum InactiveAction: Equatable {
        /// The socket went away before the handshake finished: report that upward.
        case reportClosedDuringHandshake
        /// Already done or established: fail buffered writes and pass the event on.
        case forward
    }

    mutating func channelInactive() -> InactiveAction {
        let previous = state
        state = .closed
        return previous == .handshaking ? .reportClosedDuringHandshake : .forward
    }
}
