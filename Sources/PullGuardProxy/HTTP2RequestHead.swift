import NIOHTTP1
import PullGuardHTTP2

/// An HTTP/2 request header block as the HTTP/1.1 request head the upstream gets.
///
/// nghttp2 has already checked the block (RFC 9113 §8.2, §8.3: pseudo-headers present,
/// once, before the others; lower-case names; no connection-specific fields; `te` only
/// `trailers`); what is left is the mapping, and the checks that need PullGuard's view.
enum HTTP2RequestHead {
    enum Outcome: Equatable {
        case forward(HTTPRequestHead)
        /// `:authority` and `Host` disagree (RFC 9113 §8.3.1): 400.
        case conflictingHost
    }

    /// - Parameter hasBody: DATA frames follow. Without `content-length`, the body goes
    ///   upstream chunked, and `RequestFraming` is told so by a `transfer-encoding` field.
    static func make(_ fields: [HTTP2HeaderField], hasBody: Bool) -> Outcome {
        var method = "GET"
        var path = "/"
        var authority: String?
        // Pairs wrapped once: `HTTPHeaders.add` re-checks each name for non-ASCII bytes,
        // which nghttp2 has refused already.
        var headers: [(String, String)] = []
        headers.reserveCapacity(fields.count + 2)
        var cookies: [String] = []
        var host: String?
        var contentLength = false
        for field in fields {
            switch Role(field.name) {
            case .method: method = field.value
            case .path: path = field.value
            case .authority: authority = field.value
            case .dropped: break
            case .cookie: cookies.append(field.value)  // RFC 9113 §8.2.3: joined with "; "
            case .host: host = field.value
            case .contentLength:
                contentLength = true
                headers.append((field.name, field.value))
            case .other:
                headers.append((field.name, field.value))
            }
        }
        if let authority, let host, host != authority { return .conflictingHost }
        if let name = authority ?? host { headers.append(("host", name)) }
        if !cookies.isEmpty { headers.append(("cookie", cookies.joined(separator: "; "))) }
        if hasBody && !contentLength { headers.append(("transfer-encoding", "chunked")) }
        return .forward(HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: path,
                                        headers: HTTPHeaders(headers)))
    }

    /// What `make` does with a field, told by the name's length and then at most two
    /// comparisons: a `switch` over the names compared each field with one case after
    /// another, ~22 string comparisons per request (callgrind).
    private enum Role {
        case method, path, authority, cookie, host, contentLength
        /// `:scheme` and `:protocol`: not part of an HTTP/1.1 head.
        case dropped
        case other

        init(_ name: String) {
            switch name.utf8.count {
            case 4: self = name == "host" ? .host : .other
            case 5: self = name == ":path" ? .path : .other
            case 6: self = name == "cookie" ? .cookie : .other
            case 7: self = name == ":method" ? .method : name == ":scheme" ? .dropped : .other
            case 9: self = name == ":protocol" ? .dropped : .other
            case 10: self = name == ":authority" ? .authority : .other
            case 14: self = name == "content-length" ? .contentLength : .other
            default: self = .other
            }
        }
    }
}
