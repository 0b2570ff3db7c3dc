/// Chooses the site for a handshake from its SNI: exact names first, then
/// one-label wildcards (`*.example.com`), then the default site or a refusal.
///
/// A plain value so the choice is tested without OpenSSL. The name ranking is
/// `ServerNameTable`'s, shared with Host binding so both always agree.
public struct SiteSelector: Sendable {
    public enum Choice: Sendable, Hashable {
        case site(Int)
        /// `unknown_sni: reject` and no site matched: refuse with `unrecognized_name`.
        case reject
    }

    private let names: ServerNameTable
    private let defaultIndex: Int
    private let unknownSNI: TLSListenerSettings.UnknownSNI

    /// - Parameters:
    ///   - serverNames: per site, its names (lower-cased here).
    ///   - defaultIndex: the site used without SNI, or with an unknown SNI unless rejecting.
    public init(serverNames: [[String]], defaultIndex: Int, unknownSNI: TLSListenerSettings.UnknownSNI) {
        self.names = ServerNameTable(serverNames: serverNames)
        self.defaultIndex = defaultIndex
        self.unknownSNI = unknownSNI
    }

    /// - Parameter serverName: the SNI as sent, or nil when the client sent none.
    public func choose(serverName: String?) -> Choice {
        guard let serverName, !serverName.isEmpty else { return .site(defaultIndex) }
        if let index = names.site(for: serverName.lowercased()) { return .site(index) }
        return unknownSNI == .reject ? .reject : .site(defaultIndex)
    }
}
