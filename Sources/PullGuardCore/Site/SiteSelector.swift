/// Chooses the site for a handshake from its SNI: exact names first, then
/// one-label wildcards (`*.example.com`), then the default site or a refusal.
///
/// A plain value so the choice is tested without OpenSSL. The name ranking is
/// `ServerNameTable`'s, shared with Host binding so both always agree.
public struct SiteSelector: Sendable {
    public enum Choice: Sendable, Hashable {
        case site(SiteID)
        /// `unknown_sni: reject` and no site matched: refuse with `unrecognized_name`.
        case reject
    }

    private let names: ServerNameTable
    private let defaultSite: SiteID
    private let unknownSNI: TLSListenerSettings.UnknownSNI

    /// - Parameter sites: the configuration's sites; their name table (built once, with
    ///   the table) and default site are used as they are.
    public init(sites: SiteTable, unknownSNI: TLSListenerSettings.UnknownSNI) {
        self.names = sites.names
        self.defaultSite = sites.defaultSite
        self.unknownSNI = unknownSNI
    }

    /// - Parameter serverName: the SNI as sent, or nil when the client sent none.
    public func choose(serverName: String?) -> Choice {
        guard let serverName, !serverName.isEmpty else { return .site(defaultSite) }
        if let index = names.site(for: serverName.lowercased()) { return .site(SiteID(index: index)) }
        return unknownSNI == .reject ? .reject : .site(defaultSite)
    }
}
