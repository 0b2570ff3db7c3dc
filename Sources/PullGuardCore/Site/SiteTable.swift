/// Every site of one configuration, the default site, and the one name table that
/// both SNI selection (`SiteSelector`) and Host binding (`HostBinding`) rank names
/// with, built once here.
///
/// The unit a reload swaps: the TLS contexts and the proxy's per-site state are built
/// from the same table, indexed the same way, so a `SiteID` from one is valid in the other.
public struct SiteTable: Sendable, RandomAccessCollection {
    public let sites: [Site]
    /// The site used without SNI, or with an unknown SNI unless the listener rejects it.
    public let defaultSite: SiteID
    /// Which site claims a host name (exact before wildcard), by `SiteID.index`.
    public let names: ServerNameTable

    /// - Parameter defaultSiteName: the default site's name; the first site when nil.
    ///   Resolved here, once: nothing later looks a site up by name.
    public init(_ sites: [Site], defaultSiteName: String? = nil) throws(SiteTableError) {
        guard !sites.isEmpty else { throw .noSites }
        var defaultIndex = 0
        if let defaultSiteName {
            guard let index = sites.firstIndex(where: { $0.name == defaultSiteName }) else {
                throw .unknownDefaultSite(defaultSiteName)
            }
            defaultIndex = index
        }
        self.sites = sites
        self.defaultSite = SiteID(index: defaultIndex)
        self.names = ServerNameTable(serverNames: sites.map(\.serverNames))
    }

    public var startIndex: Int { sites.startIndex }
    public var endIndex: Int { sites.endIndex }
    public subscript(position: Int) -> Site { sites[position] }

    public subscript(id: SiteID) -> Site { sites[id.index] }

    /// Every site's identity, in configuration order.
    public var ids: [SiteID] { sites.indices.map(SiteID.init(index:)) }

    /// The site for `id`, or nil when `id` is not from this table (fail closed).
    public func site(_ id: SiteID) -> Site? {
        sites.indices.contains(id.index) ? sites[id.index] : nil
    }

    /// The site that claims `name` (lower-cased), by the shared ranking; nil when none does.
    public func claimant(of name: String) -> SiteID? {
        names.site(for: name).map(SiteID.init(index:))
    }
}

public enum SiteTableError: Error, CustomStringConvertible, Sendable, Equatable {
    case noSites
    case unknownDefaultSite(String)

    public var description: String {
        switch self {
        case .noSites: return "no site is configured"
        case .unknownDefaultSite(let name): return "default site \(name) is not a configured site"
        }
    }
}
