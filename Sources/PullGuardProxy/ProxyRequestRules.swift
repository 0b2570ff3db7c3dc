import PullGuardHTTP
import PullGuardCore
/// The request checks of one configuration that every connection shares: the
/// anti-spoofing names and the sites (each reached by the `SiteID` TLS chose, and
/// their name table for Host binding). Built once per configuration (`HTTPProxy`),
/// not per connection or request.
struct ProxyRequestRules: Sendable {
    let spoofable: HeaderPolicy.SpoofableNames
    let sites: SiteTable

    init(settings: ProxySettings, sites: SiteTable) {
        spoofable = HeaderPolicy.SpoofableNames(names: settings.headers,
                                                allowUnderscores: settings.allowUnderscoresInHeaders)
        self.sites = sites
    }
}
