import NIOCore
import PullGuardCore

/// Getting an upstream connection for the exchange: a slot under the site's cap
/// first (`limits.max_upstream_connections_per_site`), then a connection from this
/// loop's pool.
extension HTTPProxyHandler {
    func leaseUpstream(site: ProxySiteSettings) {
        guard let limit = siteLimit, let context else { return leaseFromPool(site.upstream) }
        let loop = context.eventLoop
        let acquired = limit.acquire {
            UpstreamConnectionLimit.Waiter(
                eventLoop: loop, granted: NIOLoopBound({ [self] in slotGranted() }, eventLoop: loop))
        }
        switch acquired {
        case .granted:
            upstreamSlot = .held(limit)
            leaseFromPool(site.upstream)
        case .waiting(let id):
            upstreamSlot = .waiting(limit, id)
            perform(machine.slotBusy())
        }
    }

    /// A released slot was handed to this connection (on its loop). Given back when
    /// nobody waits any more (the client left, or the exchange ended), even after
    /// this handler left the pipeline.
    func slotGranted() {
        let action = machine.slotGranted()
        if case .exchange(.releaseSlot) = action {
            siteLimit?.release()
            return
        }
        perform(action)
    }

    /// The slot arrived for the waiting exchange: take it and lease a connection.
    func takeGrantedSlot() {
        guard case .waiting(let limit, _) = upstreamSlot, let site else {
            siteLimit?.release()
            return
        }
        slotDeadline = nil
        upstreamSlot = .held(limit)
        leaseFromPool(site.upstream)
    }

    /// The wait for a slot passed `timeouts.upstream_connect`: 503.
    func slotWaitTimedOut() {
        guard case .waiting(let limit, let id) = upstreamSlot else { return }
        // False: a slot is on its way; `slotGranted` will take it.
        guard limit.cancel(id) else { return }
        upstreamSlot = nil
        counters.increment(.upstreamLimitRejected)
        perform(machine.slotWaitTimedOut(limit: limit.limit, waited: settings.timeouts.upstreamConnect))
    }

    /// Gives the exchange's slot back (or stops waiting for one).
    func releaseUpstreamSlot() {
        guard let slot = upstreamSlot else { return }
        upstreamSlot = nil
        slotDeadline = nil
        slot.giveBack()
    }

    private func leaseFromPool(_ upstreamAddress: UpstreamAddress) {
        pool.lease(upstreamAddress) { [self] result in
            switch result {
            case .success(let connection):
                self.upstream = connection
                connection.delegate = self
                exchangeLog?.upstreamConnected()
                perform(machine.upstreamConnected())
            case .failure(let failure):
                perform(machine.upstreamFailed(failure))
            }
        }
    }
}
