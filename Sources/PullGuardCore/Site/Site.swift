/// One configured site (one nginx `server` block), whole: the names it answers to,
/// what TLS does for it and where the proxy sends its requests.
///
/// Built once per configuration by the Config layer and never split again: TLS and
/// the proxy read their halves (`tls`, `proxy`) of the same value, so nothing is
/// paired up again by name per connection. Within a configuration a site is known
/// by its `SiteID` (its position in the `SiteTable`), the identity the TLS layer hands
/// to the proxy; a hot reload swaps a whole table.
public struct Site: Sendable {
    /// The site's name in config (`sites[].name`), used in logs and errors, and by
    /// session bindings (the identity that outlives a configuration generation).
    public var name: String
    /// SNI and Host names this site answers to, lower-cased; `*.example.com` matches one label.
    public var serverNames: [String]
    public var tls: TLSSiteSettings
    public var proxy: ProxySiteSettings

    public init(name: String, serverNames: [String], tls: TLSSiteSettings, proxy: ProxySiteSettings) {
        self.name = name
        self.serverNames = serverNames
        self.tls = tls
        self.proxy = proxy
    }
}

/// A site's identity within one configuration: its position in the `SiteTable`.
///
/// What SNI selection hands to the proxy (`TLSConnectionEstablished.site`), so the
/// proxy reaches the site's settings and per-site state by an array index, never by
/// comparing names. Only meaningful with the table it came from.
public struct SiteID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let index: Int

    public init(index: Int) {
        self.index = index
    }

    public static func < (lhs: SiteID, rhs: SiteID) -> Bool { lhs.index < rhs.index }

    public var description: String { "#\(index)" }
}
