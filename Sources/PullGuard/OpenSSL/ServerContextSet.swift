internal import COpenSSL

/// All of a listener's TLS contexts for one configuration generation: one
/// `SSL_CTX` per site plus the SNI choice between them.
///
/// Building it parses every certificate, key, trust bundle and CRL, so it runs
/// once, off the event loop; a reload builds a new set and swaps it in whole,
/// keeping the old one if the new one fails.
public final class ServerContextSet: Sendable {
    let contexts: [OpenSSLServerContext]
    let selector: SiteSelector
    let defaultIndex: Int

    public init(settings: TLSListenerSettings) throws {
        guard !settings.sites.isEmpty else { throw ServerContextSetError.noSites }
        guard let defaultIndex = settings.sites.firstIndex(where: { $0.name == settings.defaultSiteName }) else {
            throw ServerContextSetError.unknownDefaultSite(settings.defaultSiteName)
        }
        contexts = try settings.sites.map { try OpenSSLServerContext(site: $0) }
        selector = SiteSelector(serverNames: settings.sites.map(\.serverNames), defaultIndex: defaultIndex,
                                unknownSNI: settings.unknownSNI)
        self.defaultIndex = defaultIndex
        // Only the context a connection starts with runs the SNI callback; every site
        // gets it anyway so that any of them can be the default.
        for context in contexts {
            _ = CPullGuardOpenSSL_SSL_CTX_set_tlsext_servername_callback(context.pointer, serverNameTrampoline)
        }
    }

    var defaultContext: OpenSSLServerContext { contexts[defaultIndex] }

    /// Names of the sites, in configuration order.
    public var siteNames: [String] { contexts.map(\.siteName) }
}

public enum ServerContextSetError: Error, CustomStringConvertible, Sendable {
    case noSites
    case unknownDefaultSite(String)

    public var description: String {
        switch self {
        case .noSites: return "no site is configured"
        case .unknownDefaultSite(let name): return "default site \(name) is not a configured site"
        }
    }
}

/// SNI: recovers the connection and lets it switch to the chosen site's context.
private func serverNameTrampoline(ssl: OpaquePointer?, alert: UnsafeMutablePointer<Int32>?, arg: UnsafeMutableRawPointer?) -> Int32 {
    guard let ssl, let connection = OpenSSLConnection.owner(of: ssl) else {
        return SSL_TLSEXT_ERR_ALERT_FATAL
    }
    if connection.selectSite() {
        return SSL_TLSEXT_ERR_OK
    }
    alert?.pointee = SSL_AD_UNRECOGNIZED_NAME
    return SSL_TLSEXT_ERR_ALERT_FATAL
}
