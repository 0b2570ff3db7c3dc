import Foundation

extension PullGuardServer {
    /// What the admin endpoints report, read from this server at each request: ready while
    /// not draining, and the generation serving new connections with its summary.
    public var adminStatus: AdminStatus {
        AdminStatus(isReady: { [self] in isReady }, generation: { [self] in
            let generation = current.withLockedValue { $0 }
            return AdminGeneration(number: generation.number, loadedAt: generation.loadedAt,
                                   sites: AdminSiteSummary.summaries(sites: generation.settings.sites,
                                                                     inventory: generation.inventory),
                                   clientIPs: generation.settings.clientAddresses.map(AdminClientIPs.init))
        })
    }
}
