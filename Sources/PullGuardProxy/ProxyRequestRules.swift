import PullGuardHTTP
import PullGuardCore
/// The request checks of one configuration that every connection shares: the
/// anti-spoofing names and the site-name table for Host binding. Built once per
/// configuration (`HTTPProxy`), not per connection or request.
struct ProxyRequestRules: Sendable {
    let spoofable: HeaderPolicy.SpoofableNames
    let sites: HostBinding.Sites

    init(settings: ProxySettings) {
        spoofable = HeaderPolicy.SpoofableNames(names: settings.headers,
                                                allowUnderscores: settings.allowUnderscoresInHeaders)
        sites = HostBinding.Sites(settings.sites)
    }
}
