import NIOCore
import NIOHTTP1

/// Writes PullGuard's HTTP/1.1 responses to a client as bytes: the head in one buffer,
/// and the body framed as the head says. It takes the place of NIO's response encoder
/// and header validator on client connections, which cost ~9,000 instructions of a
/// keep-alive request (the upstream's head made into `HTTPHeaders` of strings, checked
/// again, then written out; docs/performance.md).
///
/// Framing follows NIO's encoder, so that clients see what they saw before (the
/// differential test runs both on the same responses):
/// - a status that has no body (1xx, 204, 304) drops `Content-Length`;
/// - otherwise a `Content-Length` frames the body; without one, an HTTP/1.1 response is
///   chunked (`transfer-encoding: chunked` after the other fields) and an HTTP/1.0 one
///   runs until the connection closes;
/// - a response to `HEAD` keeps the framing fields a `GET` would have had and sends no
///   body; one to `CONNECT` has neither (RFC 9110 §9.3.2, §9.3.6).
/// `Transfer-Encoding` is never taken from the fields given: the upstream's is hop-by-hop,
/// and the writer states the framing itself.
///
/// The upstream's fields are copied as they are: only `HTTP1ResponseParser` makes an
/// `UpstreamResponseHead`, after checking every name is a token and every value a field
/// value. PullGuard's own fields (constants, numbers) are checked as they are copied.
public struct HTTP1ResponseWriter: Sendable {
    private var chunked = false
    /// A chunk's data went out without the CRLF that ends it: the next chunk-size line, or
    /// the last chunk, starts with it, so a chunk is two writes, not three.
    private var chunkOpen = false
    /// The response answers `HEAD` or `CONNECT`: body bytes are not sent.
    private var suppressBody = false

    public init() {}

    /// The `Connection` field PullGuard adds after the response's own fields.
    public enum ConnectionField: Sendable {
        case none
        case close
        /// For an HTTP/1.0 client whose connection stays open.
        case keepAlive
        /// `Connection: Upgrade` and `Upgrade: websocket`, for a tunnel's `101`.
        case upgradeWebSocket
    }

    /// A response head being written: the status line, then fields, then
    /// `HTTP1ResponseWriter.finish(_:connection:)`.
    public struct Head: Sendable {
        var bytes: ByteBuffer
        let status: HTTPResponseStatus
        let version: HTTPVersion
        /// The method of the request answered; nil when no request head was read (a
        /// malformed one) or for a non-final 1xx, which answers none.
        let method: HTTPMethod?
        /// The response may have a body (not 1xx, 204, 304, nor a response to `CONNECT`):
        /// its `Content-Length` is kept.
        let bodyAllowed: Bool
        /// A `Content-Length` was given, whether or not the status lets it into the head.
        public private(set) var hasContentLength = false

        /// A non-final 1xx: the real head follows and answers the request.
        public var isInterim: Bool { Self.isInterim(status) }

        /// 1xx but 101, which is final: a tunnel's.
        static func isInterim(_ status: HTTPResponseStatus) -> Bool { status.code < 200 && status.code != 101 }

        /// `method`: that of the request answered, nil when none was read. `capacity`:
        /// room for the fields to come beyond the status line and the fields `finish` adds.
        public init(version: HTTPVersion, status: HTTPResponseStatus, answering method: HTTPMethod?,
                    allocator: ByteBufferAllocator, capacity: Int = 128) {
            self.version = version
            self.status = status
            self.method = Self.isInterim(status) ? nil : method
            bodyAllowed = status.mayHaveResponseBody && method != .CONNECT
            bytes = allocator.buffer(capacity: capacity + 160)
            bytes.writeStaticString(version.minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
            bytes.writeString(String(status.code))
            bytes.writeStaticString(" ")
            bytes.writeString(status.reasonPhrase)
            bytes.writeStaticString("\r\n")
        }

        /// Starts the head of a response relayed from `upstream`, room reserved for its fields.
        public init(relaying upstream: UpstreamResponseHead, version: HTTPVersion, answering method: HTTPMethod?,
                    allocator: ByteBufferAllocator) {
            self.init(version: version, status: upstream.status, answering: method, allocator: allocator,
                      capacity: upstream.writtenFieldsCapacity)
        }

        /// One of PullGuard's own fields. Its name must be a token and its value a field
        /// value: they are constants and numbers, so a failure is a bug, not input.
        public mutating func add(name: String, value: String) {
            var name = name
            var value = value
            name.withUTF8 { name in
                value.withUTF8 { value in
                    let name = UnsafeRawBufferPointer(name)
                    let value = UnsafeRawBufferPointer(value)
                    precondition(name.isToken && value.isFieldValue, "invalid response field \(name)")
                    add(checkedName: name, value: value)
                }
            }
        }

        /// The upstream's end-to-end fields, the hop-by-hop ones dropped; returns whether
        /// the upstream keeps its connection open (`HeaderPolicy.forEachDownstreamResponseField`).
        public mutating func addFields(of upstream: UpstreamResponseHead) -> Bool {
            HeaderPolicy.forEachDownstreamResponseField(of: upstream) { name, value in
                add(checkedName: name, value: value)
            }
        }

        private mutating func add(checkedName name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
            if RequestFraming.transferEncodingName.matches(utf8: name) { return }
            if RequestFraming.contentLengthName.matches(utf8: name) {
                hasContentLength = true
                guard bodyAllowed else { return }
            }
            bytes.writeWithUnsafeMutableBytes(minimumWritableBytes: name.count + value.count + 4) { storage in
                var out = HeadBytes(storage: storage)
                out.copy(name)
                out.append(byte: UInt8(ascii: ":"))
                out.append(byte: UInt8(ascii: " "))
                out.copy(value)
                out.append(byte: .carriageReturn)
                out.append(byte: .lineFeed)
                return out.count
            }
        }
    }

    /// Ends `head` with the `Connection` field, the framing field and the empty line, and
    /// sets how the body that follows is framed.
    public mutating func finish(_ head: Head, connection: ConnectionField) -> ByteBuffer {
        var head = head
        if !head.isInterim {
            suppressBody = head.method == .HEAD || head.method == .CONNECT
        }
        switch connection {
        case .none: break
        case .close: head.bytes.writeStaticString("Connection: close\r\n")
        case .keepAlive: head.bytes.writeStaticString("Connection: keep-alive\r\n")
        case .upgradeWebSocket: head.bytes.writeStaticString("Connection: Upgrade\r\nUpgrade: websocket\r\n")
        }
        let chunkedFraming = head.bodyAllowed && !head.hasContentLength && head.version.minor >= 1
        if chunkedFraming { head.bytes.writeStaticString("transfer-encoding: chunked\r\n") }
        head.bytes.writeStaticString("\r\n")
        chunked = chunkedFraming && !suppressBody
        chunkOpen = false
        return head.bytes
    }

    /// A part of the body as it goes on the wire: `write` is called with each buffer to
    /// send, none for a response that has no body.
    public mutating func body(_ bytes: ByteBuffer, allocator: ByteBufferAllocator, write: (ByteBuffer) -> Void) {
        if suppressBody { return }
        guard chunked else { return write(bytes) }
        // An empty chunk would end the body.
        guard bytes.readableBytes > 0 else { return }
        var line = allocator.buffer(capacity: 20)
        if chunkOpen { line.writeStaticString("\r\n") }
        line.writeHexadecimal(bytes.readableBytes)
        line.writeStaticString("\r\n")
        chunkOpen = true
        write(line)
        write(bytes)
    }

    /// The end of the body: the last chunk when chunked, nil otherwise. Readies the
    /// writer for the next response.
    public mutating func end(allocator: ByteBufferAllocator) -> ByteBuffer? {
        defer {
            chunked = false
            chunkOpen = false
            suppressBody = false
        }
        guard chunked else { return nil }
        var last = allocator.buffer(capacity: 7)
        if chunkOpen { last.writeStaticString("\r\n") }
        last.writeStaticString("0\r\n\r\n")
        return last
    }
}
