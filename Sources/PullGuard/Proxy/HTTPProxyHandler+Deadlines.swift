import NIOCore

/// The idle and 504 timeouts as deadlines behind one lazily re-armed timer.
///
/// Why not a scheduled task per deadline: each keep-alive request would schedule and
/// cancel two (the 504 clock and the idle clock), a heap insertion and removal plus a
/// promise each, measured at ~4% of the CPU of a proxied keep-alive request. Here a
/// request only writes deadline values; the timer is scheduled when none is pending
/// or the new deadline is earlier than it, and when it fires it acts on the deadlines
/// that have passed and re-arms for the rest. Deadlines only move later on a
/// keep-alive connection, so the timer fires about once per timeout period.
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

    func cancelTimers() {
        idleDeadline = nil
        responseDeadline = nil
        deadlineTimer?.cancel()
        deadlineTimer = nil
        deadlineTimerFiresAt = nil
    }

    /// Makes sure a timer fires no later than the earliest deadline.
    private func rearmDeadlineTimer() {
        guard let context else { return }
        let earliest = [idleDeadline, responseDeadline].compactMap { $0 }.min()
        guard let earliest else { return }
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
        if let deadline = idleDeadline, deadline <= now {
            idleDeadline = nil
            perform(machine.idleTimedOut())
        }
        rearmDeadlineTimer()
    }
}
