import PullGuardCore

extension Site {
    /// A site for tests of the TLS layer alone. Every site has an upstream; this one
    /// names a port nothing listens on and is never dialled by those tests.
    public static func tlsOnly(name: String, serverNames: [String], _ tls: TLSSiteSettings) -> Site {
        Site(name: name, serverNames: serverNames, tls: tls, proxy: ProxySiteSettings(upstream: UpstreamAddress(host: "127.0.0.1", port: 9)))
    }
}

extension Site {
    /// A site for tests of names and forwarding: no certificates or trust (values only).
    public static func forwarding(name: String, serverNames: [String], upstream: UpstreamAddress) -> Site {
        Site(name: name, serverNames: serverNames, tls: TLSSiteSettings(identities: [], trustSources: []),
             proxy: ProxySiteSettings(upstream: upstream))
    }
}

extension SiteTable {
    /// A table of test sites; the first is the default.
    public init(testing sites: [Site]) {
        // swiftlint:disable:next force_try
        try! self.init(sites)
    }

    /// The identity of the site named `name`: a lookup by name for tests to say which
    /// site they mean. The server itself never does this (the TLS layer hands the identity over).
    public func id(named name: String) -> SiteID {
        guard let index = sites.firstIndex(where: { $0.name == name }) else { fatalError("no test site named \(name)") }
        return SiteID(index: index)
    }
}
