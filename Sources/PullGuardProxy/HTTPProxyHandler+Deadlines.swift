import NIOCore

/// The connection's timeouts as deadlines behind one lazily re-armed timer: idle
/// (`client_idle`), 504 (`upstream_response`), request head (`client_header`),
/// request body (`client_body`), a client that stopped reading (`client_send`) and
/// the wait for an upstream slot (`upstream_connect`).
///
/// Why not a scheduled task per deadline: each keep-alive request would schedule and
/// cancel two (the 504 clock and the idle clock), a heap insertion and removal plus a
/// promise each, measured at ~4% of the CPU of a proxied keep-alive request. Here a
/// request only writes deadline values; the timer is scheduled when none is pending
/// or the new deadline is earlier than it, and when it fires it acts on the deadlines
/// that have passed and re-arms for the rest. Deadlines only move later on a
/// keep-alive connection, so the timer fires about once per timeout period.
///
/// The client clocks cost nothing on a request that arrives in one read: the head
/// clock starts when a read ends without a whole head (or at the handshake, for the
/// first request, as nginx's `client_header_timeout` does), the body clock when a
/// read ends inside a body, and the send clock only when the client channel stops
/// being writable.
extension HTTPProxyHandler {
    func armIdleTimer() {
        guard let context else { return }
        idleDeadline = context.eventLoop.now + settings.timeouts.downstreamIdle
        rearmDeadlineTimer()
    }

    /// The 504 clock starts once the whole request is sent, like nginx's
    /// `proxy_read_timeout`: a slow upload must not count against the upstream.
    func armResponseTimer() {
        guard let context else { return }
        responseDeadline = context.eventLoop.now + settings.timeouts.upstreamResponse
        rearmDeadlineTimer()
    }

    func armHeaderTimer() {
        guard let context else { return }
        headerDeadline = context.eventLoop.now + settings.timeouts.clientHeader
        rearmDeadlineTimer()
    }

    func armSlotWaitTimer() {
        guard let context else { return }
        slotDeadline = context.eventLoop.now + settings.timeouts.upstreamConnect
        rearmDeadlineTimer()
    }

    /// A client read ended: the machine says which client clock (re)starts.
    func clientBytesRead() {
        defer { readDeliveredParts = false }
        switch machine.clockAfterRead(deliveredParts: readDeliveredParts, readsHeld: holdsClientReads,
                                      headerClockRunning: headerDeadline != nil) {
        case .startHeader: armHeaderTimer()
        case .restartBody: armBodyTimer()
        case .none: break
        }
    }

    /// Reads resume after backpressure: the client gets a full body period again.
    func clientReadsResumed() {
        if machine.clientClock == .body { armBodyTimer() }
    }

    func clientWritabilityChanged(_ writable: Bool) {
        guard let context else { return }
        if writable {
            sendDeadline = nil
        } else if sendDeadline == nil {
            sendDeadline = context.eventLoop.now + settings.timeouts.clientSend
            rearmDeadlineTimer()
        }
    }

    private func armBodyTimer() {
        guard let context else { return }
        bodyDeadline = context.eventLoop.now + settings.timeouts.clientBody
        rearmDeadlineTimer()
    }

    func cancelTimers() {
        idleDeadline = nil
        responseDeadline = nil
        headerDeadline = nil
        bodyDeadline = nil
        sendDeadline = nil
        slotDeadline = nil
        deadlineTimer?.cancel()
        deadlineTimer = nil
        deadlineTimerFiresAt = nil
    }

    /// The earliest pending deadline (no array: this runs on every request).
    private var earliestDeadline: NIODeadline? {
        func earlier(_ a: NIODeadline?, _ b: NIODeadline?) -> NIODeadline? {
            guard let a else { return b }
            guard let b else { return a }
            return min(a, b)
        }
        return earlier(earlier(earlier(idleDeadline, responseDeadline), earlier(headerDeadline, bodyDeadline)),
                       earlier(sendDeadline, slotDeadline))
    }

    /// Makes sure a timer fires no later than the earliest deadline.
    private func rearmDeadlineTimer() {
        guard let context, let earliest = earliestDeadline else { return }
        if let firesAt = deadlineTimerFiresAt, firesAt <= earliest { return }
        deadlineTimer?.cancel()
        deadlineTimerFiresAt = earliest
        deadlineTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: earliest) { [self] in
            deadlineTimer = nil
            deadlineTimerFiresAt = nil
            deadlinesReached()
        }
    }

    private func deadlinesReached() {
        guard let context else { return }
        let now = context.eventLoop.now
        if let deadline = responseDeadline, deadline <= now {
            responseDeadline = nil
            perform(machine.upstreamFailed(.responseTimedOut(settings.timeouts.upstreamResponse)))
        }
        if let deadline = slotDeadline, deadline <= now {
            slotDeadline = nil
            slotWaitTimedOut()
        }
        if let deadline = idleDeadline, deadline <= now {
            idleDeadline = nil
            perform(machine.idleTimedOut())
        }
        if let deadline = headerDeadline, deadline <= now {
            headerDeadline = nil
            clientTimedOut(machine.headerTimedOut(), "no whole request head within \(settings.timeouts.clientHeader.humanReadable)")
        }
        if let deadline = bodyDeadline, deadline <= now {
            bodyDeadline = nil
            if holdsClientReads {
                // PullGuard is not reading (the upstream is slow to take the body): not the client's fault.
                armBodyTimer()
            } else {
                let limit = settings.timeouts.clientBody
                clientTimedOut(machine.bodyTimedOut(limit), "no request body bytes within \(limit.humanReadable)")
            }
        }
        if let deadline = sendDeadline, deadline <= now {
            sendDeadline = nil
            if !context.channel.isWritable {
                clientTimedOut(machine.sendTimedOut(),
                               "the client took no response bytes within \(settings.timeouts.clientSend.humanReadable)")
            }
        }
        rearmDeadlineTimer()
    }

    private func clientTimedOut(_ action: ProxyConnectionStateMachine.Action, _ reason: String) {
        if case .none = action { return }
        counters.increment(.clientTimeouts)
        logger.notice("client too slow: \(reason); closing", metadata: logMetadata)
        perform(action)
    }
}
