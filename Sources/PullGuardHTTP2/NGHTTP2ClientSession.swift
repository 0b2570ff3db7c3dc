internal import CNGHTTP2

/// The client role of nghttp2: one `nghttp2_session` per outgoing HTTP/2 connection,
/// owned by this class and freed in `deinit`. Used by `pullguard-bench --http 2`.
///
/// Bytes go in and out through memory only: `receive(_:)` feeds what TLS decrypted to
/// `nghttp2_session_mem_recv` and returns the events it produced; `takeOutbound()`
/// drains `nghttp2_session_mem_send`. The C callbacks are trampolines that append one
/// `NGHTTP2ClientEvent` each to `pending` and return 0: they never call nghttp2 or NIO,
/// so every decision is taken by the caller after nghttp2 has returned (the
/// re-entrancy bugs that made swift-nio-http2 drop nghttp2 cannot happen here).
///
/// Not thread-safe: the owner uses it from one event loop.
public final class NGHTTP2ClientSession {
    private var session: OpaquePointer?
    /// Events recorded by the trampolines during the current `receive`/`takeOutbound` call.
    fileprivate var pending: [NGHTTP2ClientEvent] = []

    /// Creates the session and queues the client's SETTINGS (the connection preface is
    /// written by nghttp2 ahead of it on the first `takeOutbound()`).
    public init(settings: NGHTTP2ClientSettings = NGHTTP2ClientSettings()) throws(NGHTTP2ClientError) {
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else {
            throw NGHTTP2ClientError(code: Int(NGHTTP2_ERR_NOMEM.rawValue), during: "nghttp2_session_callbacks_new")
        }
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_header_callback(callbacks, onHeaderTrampoline)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrameRecvTrampoline)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onDataChunkTrampoline)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamCloseTrampoline)
        nghttp2_session_callbacks_set_on_frame_not_send_callback(callbacks, onFrameNotSendTrampoline)

        var created: OpaquePointer?
        let rc = nghttp2_session_client_new(&created, callbacks, Unmanaged.passUnretained(self).toOpaque())
        guard rc == 0, let created else { throw NGHTTP2ClientError(code: Int(rc), during: "nghttp2_session_client_new") }
        session = created

        var entries = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
                                   value: settings.maxConcurrentStreams),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
                                   value: settings.initialWindowSize),
        ]
        let submitted = nghttp2_submit_settings(created, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count)
        guard submitted == 0 else { throw NGHTTP2ClientError(code: Int(submitted), during: "nghttp2_submit_settings") }
    }

    deinit {
        nghttp2_session_del(session)
    }

    /// Queues a request without a body (END_STREAM on its HEADERS) and returns its stream id.
    /// nghttp2 holds it back while the server's MAX_CONCURRENT_STREAMS is reached.
    public func submit(_ request: NGHTTP2ClientRequest) throws(NGHTTP2ClientError) -> Int32 {
        var storage = request.storage
        let streamID = storage.withUnsafeMutableBufferPointer { bytes -> Int32 in
            guard let base = bytes.baseAddress else { return Int32(NGHTTP2_ERR_INVALID_ARGUMENT.rawValue) }
            var fields = request.spans.map { span in
                nghttp2_nv(name: base + span.name, value: base + span.value, namelen: span.nameLength,
                           valuelen: span.valueLength, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
            }
            return nghttp2_submit_request(session, nil, &fields, fields.count, nil, nil)
        }
        guard streamID > 0 else { throw NGHTTP2ClientError(code: Int(streamID), during: "nghttp2_submit_request") }
        return streamID
    }

    /// Feeds received (decrypted) bytes to nghttp2 and returns what happened, in order.
    /// A failure means the connection is unusable (nghttp2 queued a GOAWAY when it could:
    /// call `takeOutbound()` before closing).
    public func receive(_ bytes: UnsafeRawBufferPointer) -> Result<[NGHTTP2ClientEvent], NGHTTP2ClientError> {
        pending.removeAll(keepingCapacity: true)
        guard let base = bytes.baseAddress, bytes.count > 0 else { return .success([]) }
        let consumed = nghttp2_session_mem_recv(session, base.assumingMemoryBound(to: UInt8.self), bytes.count)
        let events = pending
        pending.removeAll(keepingCapacity: true)
        guard consumed >= 0 else { return .failure(NGHTTP2ClientError(code: consumed, during: "nghttp2_session_mem_recv")) }
        return .success(events)
    }

    /// Everything nghttp2 wants to send now (preface, SETTINGS and their ACKs, requests,
    /// WINDOW_UPDATEs, GOAWAY), plus events recorded while serializing (a request that
    /// could not be sent is reported as `.notSent`). Empty bytes: nothing to write.
    public func takeOutbound() -> Result<(bytes: [UInt8], events: [NGHTTP2ClientEvent]), NGHTTP2ClientError> {
        pending.removeAll(keepingCapacity: true)
        var out: [UInt8] = []
        while true {
            var chunk: UnsafePointer<UInt8>?
            let length = nghttp2_session_mem_send(session, &chunk)
            if length < 0 {
                pending.removeAll(keepingCapacity: true)
                return .failure(NGHTTP2ClientError(code: length, during: "nghttp2_session_mem_send"))
            }
            guard length > 0, let chunk else { break }
            out.append(contentsOf: UnsafeBufferPointer(start: chunk, count: length))
        }
        let events = pending
        pending.removeAll(keepingCapacity: true)
        return .success((out, events))
    }

    /// Queues GOAWAY with `errorCode` (0: NO_ERROR, a clean end); nghttp2 then stops
    /// accepting new streams. Send it with `takeOutbound()`.
    public func terminate(errorCode: UInt32 = 0) {
        _ = nghttp2_session_terminate_session(session, errorCode)
    }

    /// nghttp2 still expects frames (false after both sides sent GOAWAY and no stream is open).
    public var wantsRead: Bool { nghttp2_session_want_read(session) != 0 }

    /// nghttp2 has frames queued for `takeOutbound()`.
    public var wantsWrite: Bool { nghttp2_session_want_write(session) != 0 }

    fileprivate func record(_ event: NGHTTP2ClientEvent) {
        pending.append(event)
    }
}

/// What the client asks of the server in its SETTINGS frame.
public struct NGHTTP2ClientSettings: Sendable, Equatable {
    /// Streams the server may open towards us; the client refuses server push anyway.
    public var maxConcurrentStreams: UInt32 = 100
    /// Per-stream receive window; nghttp2 sends WINDOW_UPDATE as the caller consumes data.
    public var initialWindowSize: UInt32 = 1 << 20

    public init() {}
}

/// A request's header list, encoded once and submitted many times (a load generator
/// sends the same request on every stream). Names must be lowercase, pseudo-headers first.
public struct NGHTTP2ClientRequest: Sendable {
    fileprivate struct Span: Sendable {
        var name: Int
        var nameLength: Int
        var value: Int
        var valueLength: Int
    }

    fileprivate var storage: [UInt8] = []
    fileprivate var spans: [Span] = []

    /// A GET (or other bodiless) request: `:method`, `:scheme`, `:authority`, `:path`, then `headers`.
    public init(method: String = "GET", scheme: String = "https", authority: String, path: String,
                headers: [(name: String, value: String)] = []) {
        let fields = [(":method", method), (":scheme", scheme), (":authority", authority), (":path", path)] + headers
        for (name, value) in fields {
            let nameStart = storage.count
            storage.append(contentsOf: name.lowercased().utf8)
            let valueStart = storage.count
            storage.append(contentsOf: value.utf8)
            spans.append(Span(name: nameStart, nameLength: valueStart - nameStart,
                              value: valueStart, valueLength: storage.count - valueStart))
        }
    }

    /// The header list as (name, value) pairs, in the order they are sent.
    public var fields: [(name: String, value: String)] {
        spans.map { span in
            (String(decoding: storage[span.name..<span.name + span.nameLength], as: UTF8.self),
             String(decoding: storage[span.value..<span.value + span.valueLength], as: UTF8.self))
        }
    }
}

/// One thing nghttp2 reported during a `receive` or `takeOutbound` call.
public enum NGHTTP2ClientEvent: Equatable, Sendable {
    /// The response's `:status` (other response headers are not recorded: the load
    /// generator only checks the status).
    case status(streamID: Int32, code: Int)
    /// Response body bytes for a stream (already counted against flow control by nghttp2).
    case data(streamID: Int32, length: Int)
    /// The server ended its side of the stream (END_STREAM on HEADERS or DATA).
    case endStream(streamID: Int32)
    /// The server reset the stream (RST_STREAM); `errorCode` is the RFC 9113 §7 code.
    case reset(streamID: Int32, errorCode: UInt32)
    /// The server sent GOAWAY: streams above `lastStreamID` were not processed.
    case goAway(lastStreamID: Int32, errorCode: UInt32)
    /// nghttp2 closed the stream: `errorCode` 0 after a normal end, REFUSED_STREAM (7)
    /// for streams a GOAWAY left unprocessed, the reset's code otherwise.
    case streamClosed(streamID: Int32, errorCode: UInt32)
    /// A frame we queued could not be sent (`libraryError` is nghttp2's negative code,
    /// e.g. -510 NGHTTP2_ERR_START_STREAM_NOT_ALLOWED after a GOAWAY).
    case notSent(streamID: Int32, libraryError: Int)
}

/// nghttp2 returned a negative (fatal) error code.
public struct NGHTTP2ClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// nghttp2's error code (negative, `nghttp2_error`).
    public var code: Int
    /// The nghttp2 function that returned it.
    public var function: String

    init(code: Int, during function: String) {
        self.code = code
        self.function = function
    }

    /// nghttp2's own text for the code, e.g. `Received bad client magic byte string`.
    public var text: String { String(cString: nghttp2_strerror(Int32(truncatingIfNeeded: code))) }

    /// The text as one lowercase token (`protocol_error`), fit for an error class name.
    public var token: String {
        let token = String(text.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
        return token.isEmpty ? "unknown" : token
    }

    public var description: String { "\(function) failed: \(text) (\(code))" }
}

// MARK: - Trampolines: record one event, return 0. No nghttp2 or NIO calls here.

private func owner(_ userData: UnsafeMutableRawPointer?) -> NGHTTP2ClientSession? {
    userData.map { Unmanaged<NGHTTP2ClientSession>.fromOpaque($0).takeUnretainedValue() }
}

private let statusName: [UInt8] = Array(":status".utf8)

private let onHeaderTrampoline: nghttp2_on_header_callback = { _, frame, name, nameLength, value, valueLength, _, userData in
    guard let frame, let name, let value, nameLength == statusName.count else { return 0 }
    guard UnsafeBufferPointer(start: name, count: nameLength).elementsEqual(statusName) else { return 0 }
    var code = 0
    for byte in UnsafeBufferPointer(start: value, count: valueLength) {
        guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte), code < 1000 else { code = 0; break }
        code = code * 10 + Int(byte - UInt8(ascii: "0"))
    }
    owner(userData)?.record(.status(streamID: frame.pointee.hd.stream_id, code: code))
    return 0
}

private let onFrameRecvTrampoline: nghttp2_on_frame_recv_callback = { _, frame, userData in
    guard let frame, let session = owner(userData) else { return 0 }
    let header = frame.pointee.hd
    switch UInt32(header.type) {
    case NGHTTP2_HEADERS.rawValue, NGHTTP2_DATA.rawValue:
        if header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0 {
            session.record(.endStream(streamID: header.stream_id))
        }
    case NGHTTP2_RST_STREAM.rawValue:
        session.record(.reset(streamID: header.stream_id, errorCode: frame.pointee.rst_stream.error_code))
    case NGHTTP2_GOAWAY.rawValue:
        session.record(.goAway(lastStreamID: frame.pointee.goaway.last_stream_id,
                               errorCode: frame.pointee.goaway.error_code))
    default:
        break
    }
    return 0
}

private let onDataChunkTrampoline: nghttp2_on_data_chunk_recv_callback = { _, _, streamID, _, length, userData in
    owner(userData)?.record(.data(streamID: streamID, length: length))
    return 0
}

private let onStreamCloseTrampoline: nghttp2_on_stream_close_callback = { _, streamID, errorCode, userData in
    owner(userData)?.record(.streamClosed(streamID: streamID, errorCode: errorCode))
    return 0
}

private let onFrameNotSendTrampoline: nghttp2_on_frame_not_send_callback = { _, frame, libraryError, userData in
    guard let frame else { return 0 }
    owner(userData)?.record(.notSent(streamID: frame.pointee.hd.stream_id, libraryError: Int(libraryError)))
    return 0
}
