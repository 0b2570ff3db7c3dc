import Foundation

/// What the admin endpoints ask the running process, as closures the composition root
/// wires: readiness (`/readyz`) and the generation now serving (`/config`).
///
/// Closures rather than a reference to the server, so the router is tested without one,
/// and so the reload and drain code can answer from its own state without the admin
/// listener knowing how generations are kept.
public struct AdminStatus: Sendable {
    /// True while serving the current generation and not draining.
    public var isReady: @Sendable () -> Bool
    /// The generation now serving.
    public var generation: @Sendable () -> AdminGeneration

    public init(isReady: @escaping @Sendable () -> Bool, generation: @escaping @Sendable () -> AdminGeneration) {
        self.isReady = isReady
        self.generation = generation
    }
}

/// One configuration generation as `/config` shows it.
public struct AdminGeneration: Sendable {
    public var number: Int
    public var loadedAt: Date
    public var sites: [AdminSiteSummary]

    public init(number: Int, loadedAt: Date, sites: [AdminSiteSummary]) {
        self.number = number
        self.loadedAt = loadedAt
        self.sites = sites
    }
}
