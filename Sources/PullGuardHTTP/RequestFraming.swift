import NIOHTTP1

/// How a request's body is delimited, as NIO's decoder delimited it, and whether
/// PullGuard forwards the request at all.
///
/// Why this exists: the upstream must find the end of the body exactly where the
/// decoder did, or the bytes after it become a request PullGuard never checked
/// (smuggling: no anti-spoofing, no Host binding). Two things could break that:
/// - a `Connection` token naming `Content-Length` removed the length before
///   forwarding (`ConnectionTokens.isHopByHop` now refuses to);
/// - the upstream writer (`HTTP1RequestWriter`) frames the body by the head alone, so
///   the head must state the framing explicitly.
/// So the framing is read here once, re-stated explicitly on the upstream head, and
/// `TRACE` and `CONNECT` are refused (405, as with nginx).
public enum RequestFraming: Sendable, Equatable {
    /// No body: neither `Content-Length` nor `Transfer-Encoding`.
    case none
    /// `Content-Length` with this value: digits only, without the optional whitespace
    /// the decoder may have left around it.
    case contentLength(String)
    /// `Transfer-Encoding: chunked`, exactly.
    case chunked

    /// Why a request is answered by PullGuard instead of being forwarded.
    public enum Refusal: Sendable, Equatable {
        /// `TRACE` (it echoes headers back, a classic cross-site tracing aid) or `CONNECT` (a tunnel, not a request).
        case methodNotAllowed
        /// A transfer coding other than exactly `chunked` (`gzip, chunked`): the
        /// decoder removes only the chunking, so forwarding would change the body's
        /// meaning. nginx answers 501 too.
        case unsupportedTransferCoding
        /// Framing the decoder should never have let through (two lengths, length
        /// and chunked, a length that is not digits): refused rather than guessed.
        case ambiguous
    }

    public enum Decision: Sendable, Equatable {
        case forward(RequestFraming)
        case refuse(Refusal)
    }

    /// The two framing fields, matched case-insensitively; shared with the upstream codec
    /// (`HTTP1RequestWriter`, `HeaderLines`), which frames by the same fields.
    static let contentLengthName = HeaderNameMatcher(["content-length"])
    static let transferEncodingName = HeaderNameMatcher(["transfer-encoding"])

    /// Decides from a decoded request head. One pass over the header names, no
    /// allocation for a request without framing fields.
    public static func decide(method: HTTPMethod, headers: HTTPHeaders) -> Decision {
        switch method {
        case .TRACE, .CONNECT: return .refuse(.methodNotAllowed)
        default: break
        }
        var contentLength: String?
        var lengths = 0
        var codings = 0
        var chunked = false
        for header in headers {
            if contentLengthName.matches(header.name) {
                lengths += 1
                contentLength = header.value
            } else if transferEncodingName.matches(header.name) {
                codings += 1
                chunked = isExactlyChunked(header.value)
            }
        }
        switch (lengths, codings) {
        case (0, 0):
            return .forward(.none)
        case (1, 0):
            guard let value = contentLength.map(digitsOnly), isDigits(value) else { return .refuse(.ambiguous) }
            return .forward(.contentLength(value))
        case (0, 1):
            return chunked ? .forward(.chunked) : .refuse(.unsupportedTransferCoding)
        case (0, _):
            return .refuse(.unsupportedTransferCoding)
        default:
            return .refuse(.ambiguous)
        }
    }

    /// `chunked` in any case, with optional surrounding spaces or tabs, and nothing else.
    static func isExactlyChunked(_ value: String) -> Bool {
        var tokens = 0
        var match = false
        HeaderPolicy.forEachToken(in: value) { token in
            tokens += 1
            match = token.count == 7 && zip(token, "chunked".utf8).allSatisfy { ($0 | 0x20) == $1 }
        }
        // `chunked,` has one token but is not what the decoder accepted as the only coding.
        return tokens == 1 && match && !value.utf8.contains(UInt8(ascii: ","))
    }

    /// The value without surrounding spaces and tabs; itself (no copy) when it has none.
    static func digitsOnly(_ value: String) -> String {
        guard let first = value.utf8.first, let last = value.utf8.last, first.isSpaceOrTab || last.isSpaceOrTab else {
            return value
        }
        return String(value.trimmingASCIISpaces())
    }

    static func isDigits(_ value: String) -> Bool {
        let bytes = value.utf8
        return !bytes.isEmpty && bytes.count <= 19 && bytes.allSatisfy(\.isASCIIDigit)
    }
}
