import NIOHTTP1

extension HeaderPolicy {
    /// Fields that describe one connection and must not be forwarded (RFC 9110 §7.6.1).
    ///
    /// `Transfer-Encoding` is included because each side's encoder re-frames the
    /// body; `TE` is dropped whole (we never forward trailers-acceptance).
    static let hopByHopNames: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
        "upgrade", "proxy-authenticate", "proxy-authorization",
    ]

    /// Removes the fixed hop-by-hop fields and every field named by a `Connection` token.
    public static func removeHopByHop(from headers: inout HTTPHeaders) {
        var named = hopByHopNames
        for value in headers[canonicalForm: "connection"] {
            let token = value.trimmingASCIISpaces().lowercased()
            if !token.isEmpty { named.insert(token) }
        }
        let doomed = Set(headers.map(\.name).filter { named.contains($0.lowercased()) })
        for name in doomed {
            headers.remove(name: name)
        }
    }
}

extension Substring {
    func trimmingASCIISpaces() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }
}

extension String {
    func trimmingASCIISpaces() -> Substring { Substring(self).trimmingASCIISpaces() }
}
