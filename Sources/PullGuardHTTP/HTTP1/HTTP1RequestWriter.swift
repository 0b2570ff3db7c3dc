import NIOCore
import NIOHTTP1

/// Writes PullGuard's requests to an upstream as HTTP/1.1 bytes: the head in one buffer,
/// and the body framed as the head says.
///
/// The framing is the head's own: `RequestFraming` already restated it explicitly
/// (`Content-Length`, or `Transfer-Encoding: chunked`, or neither for no body), so this
/// adds nothing and removes nothing. NIO's encoder framed by method instead (it added
/// `chunked` to a bodiless POST and stripped both fields from a TRACE), which is why the
/// request path had to work around it.
///
/// The bytes are checked as they are written, as NIO's header validator did: a method
/// that is not a token, a target with a space or control byte, a header name that is
/// not a token or a value with CR, LF or NUL never reach the upstream. The decoders in
/// front (NIO's for HTTP/1.1, nghttp2's for HTTP/2) refuse those already; this is the
/// last line for what PullGuard adds itself.
public struct HTTP1RequestWriter: Sendable {
    private var chunked = false
    private var bodyAllowed = false

    public init() {}

    /// Writes `head`, with `lines` after its own fields: the connection's identity
    /// fields, encoded and checked once per connection (`HTTP1FieldLines`).
    public mutating func writeHead(_ head: HTTPRequestHead, appending lines: HTTP1FieldLines = .none,
                                   into buffer: inout ByteBuffer) throws(HTTP1RequestError) {
        guard head.version.major == 1, head.version.minor <= 1 else { throw .invalidVersion }
        if let refused = lines.refusedName { throw .invalidHeader(refused) }
        let method = head.method.rawValue
        chunked = false
        bodyAllowed = false
        // "METHOD SP target SP HTTP/1.1 CRLF", each "name: value CRLF", the lines, the closing CRLF.
        var size = method.utf8.count + 1 + head.uri.utf8.count + 11 + lines.bytes.count + 2
        for (name, value) in head.headers {
            size += name.utf8.count + value.utf8.count + 4
        }
        // One pass that copies and checks each byte, into space reserved once: a profile
        // of HTTP/2 requests had the head's many small writes at ~3% of the CPU.
        var failure: HTTP1RequestError?
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { storage in
            var out = HeadBytes(storage: storage)
            guard out.append(method, .token) else {
                failure = .invalidMethod
                return 0
            }
            out.append(byte: UInt8(ascii: " "))
            guard out.append(head.uri, .target) else {
                failure = .invalidTarget
                return 0
            }
            out.append(head.version.minor == 1 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n", .literal)
            for (name, value) in head.headers {
                guard let framing = out.append(name: name) else {
                    failure = .invalidHeader(name)
                    return 0
                }
                out.append(byte: UInt8(ascii: ":"))
                out.append(byte: UInt8(ascii: " "))
                switch framing {
                case .transferEncoding:
                    chunked = RequestFraming.isExactlyChunked(value)
                    bodyAllowed = true
                case .contentLength:
                    bodyAllowed = true
                case .other:
                    break
                }
                guard out.append(value, .fieldValue) else {
                    failure = .invalidHeader(name)
                    return 0
                }
                out.append(byte: .carriageReturn)
                out.append(byte: .lineFeed)
            }
            lines.bytes.withUnsafeBufferPointer { out.copy($0) }
            out.append(byte: .carriageReturn)
            out.append(byte: .lineFeed)
            return out.count
        }
        if let failure { throw failure }
    }

    /// A part of the body, as it goes on the wire (one chunk when chunked).
    public func body(_ bytes: ByteBuffer, allocator: ByteBufferAllocator) throws(HTTP1RequestError) -> ByteBuffer {
        guard bodyAllowed else { throw .bodyWithoutFraming }
        guard chunked else { return bytes }
        guard bytes.readableBytes > 0 else { return bytes }
        var framed = allocator.buffer(capacity: bytes.readableBytes + 20)
        framed.writeHexadecimal(bytes.readableBytes)
        framed.writeStaticString("\r\n")
        framed.writeImmutableBuffer(bytes)
        framed.writeStaticString("\r\n")
        return framed
    }

    /// The end of the request: the last chunk when chunked, nothing otherwise.
    public func end(allocator: ByteBufferAllocator) -> ByteBuffer? {
        guard chunked else { return nil }
        var last = allocator.buffer(capacity: 5)
        last.writeStaticString("0\r\n\r\n")
        return last
    }
}

/// Why PullGuard refused to write a request head upstream.
public enum HTTP1RequestError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidMethod
    case invalidTarget
    case invalidVersion
    case invalidHeader(String)
    case bodyWithoutFraming

    public var description: String {
        switch self {
        case .invalidMethod: "method is not a token"
        case .invalidTarget: "request target with a space or control byte"
        case .invalidVersion: "HTTP version other than 1.0 or 1.1"
        case .invalidHeader(let name): "header \(name.debugDescription) has a name that is not a token or a control byte in its value"
        case .bodyWithoutFraming: "body bytes for a request head without Content-Length or Transfer-Encoding"
        }
    }
}
