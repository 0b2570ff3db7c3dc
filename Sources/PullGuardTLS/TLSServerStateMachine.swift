/// The life of one server-side TLS connection, as a value: each event returns
/// the action the handler must perform. No I/O and no OpenSSL here, so every
/// transition is tested directly (Tests/PullGuardTests/TLS).
///
/// ```
/// handshaking ──complete──▶ established ──close requested──▶ closing ──flushed──▶ closed
///      │                          │                                                  ▲
///      └──failed (alert flushed)──┴──peer close_notify / read error / inactive──────┘
/// ```
/// Fail closed: anything unexpected in a state ends the connection.
package struct TLSServerStateMachine {
    enum State: Equatable {
        /// Waiting for the client's handshake flights; application writes are buffered.
        case handshaking
        /// Handshake done; data flows both ways.
        case established
        /// We queued close_notify; waiting for it to be flushed before closing the socket.
        case closing
        case closed
    }

    private(set) var state: State = .handshaking

    enum InboundAction: Equatable {
        /// Feed the bytes to OpenSSL and step the handshake.
        case continueHandshake
        /// Feed the bytes to OpenSSL and read application data.
        case decrypt
        /// The connection is going away; drop the bytes.
        case ignore
    }

    mutating func bytesReceived() -> InboundAction {
        switch state {
        case .handshaking: return .continueHandshake
        case .established: return .decrypt
        case .closing, .closed: return .ignore
        }
    }

    enum HandshakeAction: Equatable {
        /// Flush handshake records and wait for more bytes.
        case flushAndWait
        /// Announce the connection upward, write buffered data, then decrypt what's left.
        /// `flushFirst`: send OpenSSL's last handshake records now; when false they wait
        /// in the output BIO and leave with the next write (see `handshakeStepped`).
        case announceEstablished(flushFirst: Bool)
        /// Flush the alert OpenSSL queued, log the refusal once, then close.
        case flushAlertAndClose
        case ignore
    }

    mutating func handshakeStepped(_ step: HandshakeStep) -> HandshakeAction {
        guard state == .handshaking else { return .ignore }
        switch step {
        case .needsMoreData:
            return .flushAndWait
        case .complete(let tls13, let applicationDataFollows):
            state = .established
            // TLS 1.3: after the client's Finished the server only sends its session
            // ticket, which the client does not wait for. When the client's request
            // came right behind its Finished, the ticket rides with the response in one
            // write instead of a write of its own. TLS 1.2 sends the server's Finished,
            // which a client may be waiting for: always flushed.
            return .announceEstablished(flushFirst: !(tls13 && applicationDataFollows))
        case .failed:
            state = .closed
            return .flushAlertAndClose
        }
    }

    enum HandshakeStep: Equatable {
        case needsMoreData
        /// `applicationDataFollows`: records beyond the handshake arrived in the same read.
        case complete(tls13: Bool, applicationDataFollows: Bool)
        case failed
    }

    enum ReadAction: Equatable {
        /// Pass decrypted bytes up (if any) and keep going.
        case deliver
        /// The peer sent close_notify: answer with ours and close.
        case closeGracefully
        /// A record failed to decrypt or parse: close without ceremony.
        case closeWithError
        case ignore
    }

    mutating func readStepped(_ step: ReadStep) -> ReadAction {
        guard state == .established else { return .ignore }
        switch step {
        case .data: return .deliver
        case .peerClosed:
            state = .closing
            return .closeGracefully
        case .failed:
            state = .closed
            return .closeWithError
        }
    }

    enum ReadStep: Equatable {
        case data, peerClosed, failed
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
        case .handshaking: return .buffer
        case .established: return .encrypt
        case .closing, .closed: return .fail
        }
    }

    enum CloseAction: Equatable {
        /// Queue close_notify, flush it, then close the channel.
        case sendCloseNotifyThenClose
        /// Nothing was established: close the socket right away.
        case closeNow
        /// Already on the way out.
        case ignore
    }

    mutating func closeRequested() -> CloseAction {
        switch state {
        case .handshaking:
            state = .closed
            return .closeNow
        case .established:
            state = .closing
            return .sendCloseNotifyThenClose
        case .closing, .closed:
            return .ignore
        }
    }

    enum InactiveAction: Equatable {
        /// The socket went away mid-handshake: a client that gave up, not a refusal.
        case abandonedHandshake
        /// The connection ended after a good handshake without a record error:
        /// keep its session resumable, fail buffered writes, pass the event on.
        case endedCleanly
        /// Already closed (refused, or a record error): fail buffered writes, pass the event on.
        case failPendingAndForward
    }

    mutating func channelInactive() -> InactiveAction {
        let previous = state
        state = .closed
        switch previous {
        case .handshaking: return .abandonedHandshake
        case .established, .closing: return .endedCleanly
        case .closed: return .failPendingAndForward
        }
    }
}
