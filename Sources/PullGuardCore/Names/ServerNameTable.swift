/// Which site claims a host name: exact names first, then one-label wildcards
/// (`*.example.com` matches `a.example.com`, not `example.com` nor `a.b.example.com`).
///
/// The one name resolution both SNI selection (`SiteSelector`) and Host binding
/// (`HostBinding`) use. Why one: if they ranked names differently, a client verified
/// for the wildcard site could name the exact site in `Host` and be forwarded there
/// under the wrong site's trust (docs/security.md). Plain values, no TLS or HTTP types,
/// so both layers can depend on it without depending on each other.
public struct ServerNameTable: Sendable {
    private let exact: [String: Int]
    private let wildcardSuffixes: [(suffix: String, index: Int)]

    /// - Parameter serverNames: per site (by index), its names; lower-cased here.
    ///   A name claimed twice goes to the first site (the config refuses duplicates).
    public init(serverNames: [[String]]) {
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
    }

    /// The index of the site that claims `name`, or nil when none does.
    /// - Parameter name: a host name already lower-cased (the SNI or a parsed `Host`).
    public func site(for name: String) -> Int? {
        if let index = exact[name] { return index }
        // On bytes: `hasSuffix` on `String` compares grapheme clusters, which the TLS
        // layer's byte-level SNI does not.
        let bytes = name.utf8
        for (suffix, index) in wildcardSuffixes {
            let suffixBytes = suffix.utf8
            guard bytes.count > suffixBytes.count, bytes.suffix(suffixBytes.count).elementsEqual(suffixBytes) else {
                continue
            }
            if !bytes.dropLast(suffixBytes.count).contains(UInt8(ascii: ".")) { return index }
        }
        return nil
    }
}
