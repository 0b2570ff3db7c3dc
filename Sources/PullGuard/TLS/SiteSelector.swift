/// Chooses the site for a handshake from its SNI: exact names first, then
/// one-label wildcards (`*.example.com`), then the default site or a refusal.
///
/// A plain value so the choice is tested without OpenSSL.
public struct SiteSelector: Sendable {
    public enum Choice: Sendable, Hashable {
        case site(Int)
        /// `unknown_sni: reject` and no site matched: refuse with `unrecognized_name`.
        case reject
    }

    private let exact: [String: Int]
    private let wildcardSuffixes: [(suffix: String, index: Int)]
    private let defaultIndex: Int
    private let unknownSNI: TLSListenerSettings.UnknownSNI

    /// - Parameters:
    ///   - serverNames: per site, its names (lower-cased here).
    ///   - defaultIndex: the site used without SNI, or with an unknown SNI unless rejecting.
    public init(serverNames: [[String]], defaultIndex: Int, unknownSNI: TLSListenerSettings.UnknownSNI) {
        var exact: [String: Int] = [:]
        var wildcards: [(String, Int)] = []
        for (index, names) in serverNames.enumerated() {
            for name in names.map({ $0.lowercased() }) {
                if name.hasPrefix("*.") {
                    wildcards.append((String(name.dropFirst(1)), index))
                } else if exact[name] == nil {
                    exact[name] = index
                }
            }
        }
        self.exact = exact
        self.wildcardSuffixes = wildcards
        self.defaultIndex = defaultIndex
        self.unknownSNI = unknownSNI
    }

    /// - Parameter serverName: the SNI as sent, or nil when the client sent none.
    public func choose(serverName: String?) -> Choice {
        guard let serverName, !serverName.isEmpty else { return .site(defaultIndex) }
        let name = serverName.lowercased()
        if let index = exact[name] { return .site(index) }
        for (suffix, index) in wildcardSuffixes where name.hasSuffix(suffix) {
            let label = name.dropLast(suffix.count)
            if !label.isEmpty, !label.contains(".") { return .site(index) }
        }
        return unknownSNI == .reject ? .reject : .site(defaultIndex)
    }
}
