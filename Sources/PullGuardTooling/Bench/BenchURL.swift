/// The target of a run: `https://host[:port][/path]`, parsed without Foundation.
public struct BenchURL: Sendable, Equatable {
    /// Without brackets for IPv6.
    public var host: String
    public var port: Int
    /// Starts with `/`; includes any query.
    public var path: String

    public init(parsing text: String) throws(BenchOptionError) {
        let scheme = "https://"
        guard text.lowercased().hasPrefix(scheme) else {
            throw BenchOptionError("--url", "'\(text)' must start with https:// (pullguard-bench speaks TLS)")
        }
        let rest = text.dropFirst(scheme.count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        let remainder = rest.dropFirst(authority.count)
        path = remainder.isEmpty ? "/" : (remainder.hasPrefix("/") ? String(remainder) : "/" + remainder)
        guard !authority.contains("@") else { throw BenchOptionError("--url", "'\(text)': user info is not supported") }
        var hostPart = Substring(authority)
        var portPart: Substring?
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else { throw BenchOptionError("--url", "'\(text)': unclosed [ in host") }
            let after = hostPart[hostPart.index(after: close)...]
            if after.hasPrefix(":") { portPart = after.dropFirst() } else if !after.isEmpty {
                throw BenchOptionError("--url", "'\(text)': unexpected text after ]")
            }
            hostPart = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
        } else if let colon = hostPart.lastIndex(of: ":") {
            portPart = hostPart[hostPart.index(after: colon)...]
            hostPart = hostPart[..<colon]
        }
        guard !hostPart.isEmpty else { throw BenchOptionError("--url", "'\(text)' has no host") }
        host = String(hostPart)
        if let portPart {
            guard let value = Int(portPart), (1...65535).contains(value) else {
                throw BenchOptionError("--url", "'\(text)': port '\(portPart)' is not 1-65535")
            }
            port = value
        } else {
            port = 443
        }
    }

    /// IP literals send no SNI unless `--sni` names one (RFC 6066 §3).
    public var hostIsIPAddress: Bool {
        if host.contains(":") { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }
}
