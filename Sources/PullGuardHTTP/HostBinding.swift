import NIOHTTP1
import PullGuardCore

/// Which site a request's `Host` names, checked against the site TLS selected.
///
/// SNI picks the certificate and the client-auth policy; the `Host` header picks
/// what the application serves. If they disagree about a *configured* site, a
/// client verified for site A could reach site B on A's connection (connection
/// reuse across names, or plain forgery), so such requests get 421 Misdirected
/// Request (RFC 9110 §15.5.20), as nginx does with `ssl_verify_client` per server.
/// A Host that no site claims goes to the SNI-selected site, like nginx's default
/// server.
public enum HostBinding {
    public enum Decision: Sendable, Equatable {
        /// Forward to the site TLS selected.
        case forward
        /// The Host belongs to another configured site (its name is given): answer 421.
        case misdirected(otherSite: String)
        /// HTTP/1.1 without a Host, or an unparsable Host: answer 400.
        case badRequest
    }

    /// Decides for one request on a connection whose TLS layer selected `selectedSite`.
    ///
    /// `hostHeaders` are all `Host` values: more than one is a 400 (RFC 9112 §3.2),
    /// since the upstream might honour a different one than we checked. An
    /// absolute-form target (`GET http://b.example/`) names a host too, which an
    /// RFC-following upstream prefers over `Host`; both names must pass.
    ///
    /// `sites` is the configuration's `SiteTable`, whose name table (built once with it)
    /// is the ranking SNI selection uses; `selectedSite` is the identity SNI chose.
    public static func decide(hostHeaders: [String], uri: String, version: HTTPVersion, selectedSite: SiteID,
                              sites: SiteTable) -> Decision {
        guard hostHeaders.count <= 1 else { return .badRequest }
        return decide(host: hostHeaders.first, uri: uri, version: version, selectedSite: selectedSite, sites: sites)
    }

    /// The same for a single optional `Host` value (an HTTP/2 request's `:authority`) and its
    /// target (`:path`). Both names are parsed before either is looked up, so a malformed
    /// one is a 400 whatever the other names. No array of names: this runs on every request.
    public static func decide(host: String?, uri: String, version: HTTPVersion, selectedSite: SiteID,
                              sites: SiteTable) -> Decision {
        var hostName: String?
        if let host {
            guard let name = Self.hostName(fromHostHeader: host) else { return .badRequest }
            hostName = name
        } else if !(version.major == 1 && version.minor == 0) {
            return .badRequest
        }
        var targetName: String?
        // Origin-form (`/path`) first: the common case skips the substring search.
        if !uri.hasPrefix("/"), let schemeEnd = uri.range(of: "://") {
            let authority = uri[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            guard !authority.contains("@"), let name = Self.hostName(fromHostHeader: String(authority)) else {
                return .badRequest
            }
            targetName = name
        }
        if let hostName, case let decision = decide(name: hostName, selectedSite: selectedSite, sites: sites),
           decision != .forward {
            return decision
        }
        if let targetName { return decide(name: targetName, selectedSite: selectedSite, sites: sites) }
        return .forward
    }

    /// The name goes to the site SNI would have chosen for it (exact before wildcard).
    /// Another site means 421, even when both sites share an upstream: the other
    /// site's client-auth policy is the one that never ran. No site: the connection's.
    private static func decide(name: String, selectedSite: SiteID, sites: SiteTable) -> Decision {
        guard let owner = sites.claimant(of: name) else { return .forward }
        return owner == selectedSite ? .forward : .misdirected(otherSite: sites[owner].name)
    }

    /// The host part of a `Host` header, lower-cased, without port or IPv6 brackets;
    /// nil when it is empty or malformed.
    ///
    /// Runs on every request, so ASCII values (all valid ones: names are punycode) are
    /// parsed on their UTF-8 bytes; `Character` iteration cost about 3% of a keep-alive
    /// request. Anything else takes the same rules on `Character`s.
    public static func hostName(fromHostHeader value: String) -> String? {
        guard value.utf8.allSatisfy({ $0 < 0x80 }) else { return unicodeHostName(value) }
        var value = value
        return value.withUTF8(asciiHostName)
    }

    /// The byte-level parse of an ASCII value.
    private static func asciiHostName(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, bytes[start].isSpaceOrTab { start += 1 }
        while end > start, bytes[end - 1].isSpaceOrTab { end -= 1 }
        guard start < end else { return nil }
        if bytes[start] == UInt8(ascii: "[") {
            guard let close = bytes[start..<end].firstIndex(of: UInt8(ascii: "]")) else { return nil }
            let after = bytes[(close + 1)..<end]
            guard after.isEmpty || (after.first == UInt8(ascii: ":") && after.dropFirst().allSatisfy(\.isASCIIDigit)) else {
                return nil
            }
            start += 1
            end = close
        } else if let colon = bytes[start..<end].firstIndex(of: UInt8(ascii: ":")) {
            guard bytes[(colon + 1)..<end].allSatisfy(\.isASCIIDigit) else { return nil }
            end = colon
        }
        if end > start, bytes[end - 1] == UInt8(ascii: ".") { end -= 1 }
        guard start < end, !bytes[start..<end].contains(where: isForbiddenInHost) else { return nil }
        return String(unsafeUninitializedCapacity: end - start) { out in
            for (offset, byte) in bytes[start..<end].enumerated() {
                out[offset] = byte.isASCIIUppercase ? byte + 32 : byte
            }
            return end - start
        }
    }

    private static func isForbiddenInHost(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: " "), UInt8(ascii: "/"), UInt8(ascii: "@"), UInt8(ascii: ","), UInt8(ascii: "\t"): true
        default: false
        }
    }

    /// The same rules on `Character`s, for values that are not ASCII (and for the
    /// tests, which check that both paths agree).
    static func unicodeHostName(_ value: String) -> String? {
        var text = Substring(value.trimmingASCIISpaces())
        guard !text.isEmpty else { return nil }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let after = text[text.index(after: close)...]
            guard after.isEmpty || (after.hasPrefix(":") && after.dropFirst().allSatisfy(\.isASCIIDigit)) else {
                return nil
            }
            text = text[text.index(after: text.startIndex)..<close]
        } else if let colon = text.firstIndex(of: ":") {
            let port = text[text.index(after: colon)...]
            guard port.allSatisfy(\.isASCIIDigit) else { return nil }
            text = text[..<colon]
        }
        if text.hasSuffix(".") { text = text.dropLast() }
        guard !text.isEmpty, !text.contains(where: { " /@,\t".contains($0) }) else { return nil }
        return text.lowercased()
    }
}
