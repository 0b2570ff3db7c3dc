import NIOCore
import NIOHTTP1

/// Reads an upstream's HTTP/1.1 responses, one per request written, from the bytes of a
/// pooled keep-alive connection.
///
/// Why PullGuard has its own: NIO's response decoder, request encoder and header validator
/// were three pipeline handlers per upstream connection, and a profile of HTTP/2 requests
/// put them (with the pipeline hops between them) at ~15% of the server's CPU
/// (docs/performance.md). This is one value, driven by `UpstreamConnection`.
///
/// Strict where a mistake would mis-frame a response on a reused connection (the next
/// client would get this one's bytes): only `CRLF` ends a line, no whitespace before a
/// colon, no obs-fold, no control bytes in values, `Content-Length` digits only (repeated
/// only with the same value), `Transfer-Encoding` only exactly `chunked` and never beside
/// `Content-Length` (nginx answers those two with 502 as well). Every error ends the
/// connection; the exchange gets a 502.
///
/// Bytes the upstream sends after a complete response, before the next request was
/// written, belong to no request: the parser fails then, when they arrive, not when a
/// later request could mistake them for its answer.
public struct HTTP1ResponseParser: Sendable {
    /// The largest status line plus header section accepted (NIO's decoder allowed 80 KiB).
    public static let maxHeadBytes = 80 * 1024
    /// A chunk-size line with its extensions.
    static let maxChunkLineBytes = 4096

    enum State: Sendable, Equatable {
        /// No request outstanding.
        case idle
        case head(HTTPMethod)
        case endPending
        case contentLength(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
        /// A `101`: the bytes that follow are the tunnel's, not HTTP.
        case upgraded
        case failed(HTTP1ResponseError)
    }

    private(set) var state: State = .idle
    /// Progress through the head (or trailer section) under construction, relative to the
    /// buffer's reader index, which does not move until the section is complete.
    private var scan = LineScan()

    public init() {}

    /// No response under way and nothing unexpected read: the connection may carry the
    /// next request. False from the moment a response completes with bytes behind it.
    public var isIdle: Bool { state == .idle }

    /// `true` once a `101` was read: the rest of the connection's bytes are not HTTP.
    public var isUpgraded: Bool { state == .upgraded }

    /// A request head went out; its response is next. `method` decides whether that
    /// response can have a body (`HEAD` never does).
    public mutating func requestSent(method: HTTPMethod) {
        switch state {
        case .idle: state = .head(method)
        case .failed: break
        // The proxy writes a request only on an idle connection; anything else would
        // leave two responses to tell apart.
        default: state = .failed(.requestWhileBusy)
        }
    }

    /// The next part readable from `buffer`, consuming its bytes; nil when more bytes are
    /// needed (or the connection was upgraded). Call again after each part: the caller may
    /// write the next request in between.
    public mutating func next(_ buffer: inout ByteBuffer) throws(HTTP1ResponseError) -> UpstreamResponsePart? {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .idle:
                if buffer.readableBytes > 0 { try fail(.bytesWithoutRequest) }
                return nil
            case .upgraded:
                return nil
            case .head(let method):
                guard let end = try scanLines(buffer, limit: Self.maxHeadBytes, tooLarge: .headTooLarge) else { return nil }
                let parsed: ParsedHead
                switch ParsedHead.parse(buffer.getSlice(at: buffer.readerIndex, length: end)!) {
                case .success(let head): parsed = head
                case .failure(let error): try fail(error)
                }
                buffer.moveReaderIndex(forwardBy: end)
                let code = parsed.head.status.code
                // Interim answers (100 Continue, 103) are the upstream's business with
                // PullGuard: dropped, as NIO's decoder dropped them; the final one follows.
                if code >= 100 && code < 200 && code != 101 { continue }
                if code == 101 {
                    state = .upgraded
                } else if method == .HEAD || code == 204 || code == 304 {
                    state = .endPending
                } else {
                    switch parsed.framing {
                    case .chunked: state = .chunkSize
                    case .length(0): state = .endPending
                    case .length(let length): state = .contentLength(remaining: length)
                    case .close: state = .untilClose
                    }
                }
                return .head(parsed.head)
            case .endPending:
                return complete(buffer, trailers: nil)
            case .contentLength(let remaining):
                guard buffer.readableBytes > 0 else { return nil }
                let count = min(remaining, buffer.readableBytes)
                state = count == remaining ? .endPending : .contentLength(remaining: remaining - count)
                return .body(buffer.readSlice(length: count)!)
            case .chunkData(let remaining):
                guard buffer.readableBytes > 0 else { return nil }
                let count = min(remaining, buffer.readableBytes)
                state = count == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - count)
                return .body(buffer.readSlice(length: count)!)
            case .chunkDataEnd:
                guard buffer.readableBytes >= 2 else { return nil }
                guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { try fail(.malformedChunk) }
                state = .chunkSize
            case .chunkSize:
                guard let size = try readChunkSize(&buffer) else { return nil }
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .trailers:
                guard let end = try scanLines(buffer, limit: Self.maxHeadBytes, tooLarge: .headTooLarge) else { return nil }
                let parsed = buffer.withUnsafeReadableBytes { raw in
                    let section = UnsafeRawBufferPointer(rebasing: raw[..<end])
                    return HeaderLines.parse(section).map { HeaderFieldSpan.headers($0.spans, in: section) }
                }
                let trailers: HTTPHeaders
                switch parsed {
                case .success(let fields): trailers = fields
                case .failure(let error): try fail(error)
                }
                buffer.moveReaderIndex(forwardBy: end)
                return complete(buffer, trailers: trailers.isEmpty ? nil : trailers)
            case .untilClose:
                guard buffer.readableBytes > 0 else { return nil }
                return .body(buffer.readSlice(length: buffer.readableBytes)!)
            }
        }
    }

    /// The connection closed. Returns the end of a response delimited by the close; nil
    /// when nothing was under way or the response is cut short (the caller reports the
    /// close: mid-response, the client connection cannot be finished either).
    public mutating func connectionClosed() -> UpstreamResponsePart? {
        defer { state = .failed(.closed) }
        return state == .untilClose ? .end(nil) : nil
    }

    private mutating func complete(_ buffer: ByteBuffer, trailers: HTTPHeaders?) -> UpstreamResponsePart {
        state = buffer.readableBytes > 0 ? .failed(.bytesWithoutRequest) : .idle
        return .end(trailers)
    }

    private mutating func fail(_ error: HTTP1ResponseError) throws(HTTP1ResponseError) -> Never {
        state = .failed(error)
        throw error
    }

    /// Finds the end of a section of CRLF lines closed by an empty line (a head, or the
    /// trailers after the last chunk): the offset just past it, or nil while incomplete.
    /// Resumes where the last call stopped, so a head arriving in pieces is scanned once.
    private mutating func scanLines(_ buffer: ByteBuffer, limit: Int,
                                    tooLarge: HTTP1ResponseError) throws(HTTP1ResponseError) -> Int? {
        let result = buffer.withUnsafeReadableBytes { scan.advance(through: $0) }
        switch result {
        case .complete(let end):
            scan = LineScan()
            return end
        case .incomplete:
            if scan.scanned > limit { try fail(tooLarge) }
            return nil
        case .bareLineFeed:
            try fail(.bareLineFeed)
        }
    }

    /// `1*HEXDIG [ chunk-ext ] CRLF`; the extensions are checked for stray control bytes
    /// and ignored.
    private mutating func readChunkSize(_ buffer: inout ByteBuffer) throws(HTTP1ResponseError) -> Int? {
        let parsed: ChunkLine = buffer.withUnsafeReadableBytes { ChunkLine.parse($0) }
        switch parsed {
        case .incomplete:
            if buffer.readableBytes > Self.maxChunkLineBytes { try fail(.malformedChunk) }
            return nil
        case .invalid:
            try fail(.malformedChunk)
        case .size(let size, let length):
            buffer.moveReaderIndex(forwardBy: length)
            return size
        }
    }
}

/// Why an upstream's bytes were not accepted as the response to PullGuard's request.
public enum HTTP1ResponseError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformedStatusLine
    case unsupportedVersion
    case malformedHeader
    case bareLineFeed
    case headTooLarge
    case invalidContentLength
    case conflictingContentLengths
    case unsupportedTransferCoding
    case lengthAndChunked
    case malformedChunk
    case bytesWithoutRequest
    case requestWhileBusy
    case closed

    public var description: String {
        switch self {
        case .malformedStatusLine: "malformed status line"
        case .unsupportedVersion: "HTTP version other than 1.0 or 1.1"
        case .malformedHeader: "malformed header line (whitespace before the colon, obs-fold, or a control byte)"
        case .bareLineFeed: "a line ended by LF without CR"
        case .headTooLarge: "response head over \(HTTP1ResponseParser.maxHeadBytes) bytes"
        case .invalidContentLength: "Content-Length that is not a number"
        case .conflictingContentLengths: "two different Content-Length values"
        case .unsupportedTransferCoding: "Transfer-Encoding other than exactly chunked"
        case .lengthAndChunked: "both Content-Length and Transfer-Encoding"
        case .malformedChunk: "malformed chunk"
        case .bytesWithoutRequest: "bytes after the response, before any request"
        case .requestWhileBusy: "request written while a response was still being read"
        case .closed: "connection closed"
        }
    }
}
