import Testing
import PullGuardCore
@testable import PullGuard

/// The public-listener warning reads `client_ips` from the settings themselves.
@Suite struct ConfigLintClientIPsTests {
    @Test func settingsWithClientIPsSilenceThePublicListenerWarning() throws {
        var settings = PullGuardSettings(listeners: [ListenAddress(host: "0.0.0.0", port: 443)], workers: 1,
                                         sites: SiteTable(testing: [ConfigLintTests().site()]),
                                         tls: TLSListenerSettings(), proxy: ProxySettings())
        #expect(!ConfigLint.clientIPsConfigured(in: settings))
        settings.clientAddresses = ClientAddressList([try ClientCIDR(parsing: "173.245.48.0/20")])
        #expect(ConfigLint.clientIPsConfigured(in: settings))
    }
}
