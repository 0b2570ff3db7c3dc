import Foundation
import PullGuardCore

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
    /// `client_ips` in numbers; nil when every address is accepted.
    public var clientIPs: AdminClientIPs?

    public init(number: Int, loadedAt: Date, sites: [AdminSiteSummary], clientIPs: AdminClientIPs? = nil) {
        self.number = number
        self.loadedAt = loadedAt
        self.sites = sites
        self.clientIPs = clientIPs
    }
}

/// `client_ips` as `/config` shows it: how many entries and, after merging, ranges per
/// family, so an operator can see that a reload took the new list. Not the addresses
/// or the files' paths: like the rest of `/config`, facts rather than configuration.
public struct AdminClientIPs: Sendable, Encodable, Equatable {
    public var entries: Int
    public var ipv4Ranges: Int
    public var ipv6Ranges: Int

    public init(_ list: ClientAddressList) {
        entries = list.entries.count
        ipv4Ranges = list.ipv4.count
        ipv6Ranges = list.ipv6.count
    }

    enum CodingKeys: String, CodingKey {
        case entries
        case ipv4Ranges = "ipv4_ranges"
        case ipv6Ranges = "ipv6_ranges"
    }
}
