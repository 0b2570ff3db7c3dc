import PullGuardCore

/// One configuration's per-site metric handles, indexed by `SiteID` like the `SiteTable`
/// they were built from (`PullGuardMetrics.siteMetrics(for:)`).
///
/// Resolved once per configuration: a handshake or request reaches its site's counters by
/// an array index, never by looking a name up. The storage behind the handles belongs to
/// `PullGuardMetrics` and is keyed by site name (and anchor name and SHA-256), so a site
/// that persists across reloads keeps counting into the same series.
public struct SiteMetricsTable: Sendable {
    let sites: [SiteMetrics]

    /// A table with no site: every count is dropped. For handlers built without metrics (tests).
    public static let empty = SiteMetricsTable(sites: [])

    init(sites: [SiteMetrics]) {
        self.sites = sites
    }

    public var count: Int { sites.count }

    /// Adds one to `counter` of `site`, in the block of event loop `loop`. Call it on that loop.
    @inline(__always)
    public func increment(_ counter: SiteCounter, site: SiteID, loop: Int) {
        guard site.index < sites.count else { return }
        sites[site.index].series.increment(counter, loop: loop)
    }

    /// Counts a client certificate chain admitted by `site` under its anchor at `anchor`
    /// (`PeerIdentity.anchorIndex`); an unknown index is dropped, not mis-attributed.
    @inline(__always)
    public func admitted(site: SiteID, anchor: Int?, loop: Int) {
        guard site.index < sites.count, let anchor else { return }
        let anchors = sites[site.index].anchors
        guard anchor < anchors.count else { return }
        anchors[anchor].increment(loop: loop)
    }
}

/// One site's handles for one configuration.
struct SiteMetrics: Sendable {
    let series: SiteSeries
    /// By anchor index (`SiteInventory.anchors`).
    let anchors: [AnchorSeries]
}
