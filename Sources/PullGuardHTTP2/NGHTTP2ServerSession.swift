internal import CNGHTTP2
import NIOCore
import PullGuardCore

/// What nghttp2 reported during one `receive`, in order. The callbacks only append
/// these; the caller acts on them after `nghttp2_session_mem_recv` has returned.
package enum HTTP2SessionEvent: Equatable, Sendable {
    /// A request's header block is complete (HEADERS, plus any CONTINUATION); nghttp2 has
    /// already checked it as RFC 9113 §8 requires (pseudo-headers, connection-specific
    /// fields, lower-case names, no CR/LF/NUL in values), resetting the stream otherwise.
    case request(stream: Int32, fields: [HTTP2HeaderField], endStream: Bool)
    /// Trailers: a second header block. PullGuard does not forward them.
    case trailers(stream: Int32, endStream: Bool)
    case data(stream: Int32, ByteBuffer)
    /// END_STREAM on a DATA frame.
    case endStream(stream: Int32)
    /// A DATA frame with neither payload nor END_STREAM.
    case emptyData(stream: Int32)
    /// The stream ended, normally or by a reset in either direction (`errorCode` 0: normal).
    case streamClosed(stream: Int32, errorCode: UInt32)
    /// The client sent GOAWAY.
    case goAway(lastStream: Int32, errorCode: UInt32)
}

/// One decoded header field.
package struct HTTP2HeaderField: Equatable, Sendable {
    package var name: String
    package var value: String

    package init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// Why the session cannot go on: the connection is to be closed once `pendingOutput`
/// (which carries nghttp2's GOAWAY, when it made one) is written.
package struct HTTP2SessionError: Error, Equatable, Sendable, CustomStringConvertible {
    package var code: Int32
    package var description: String

    init(code: Int32) {
        self.code = code
        description = String(cString: nghttp2_strerror(code))
    }

    /// The client is flooding (acks it does not read, settings, resets, continuations).
    package var isFlood: Bool {
        code == NGHTTP2_ERR_FLOODED.rawValue || code == NGHTTP2_ERR_TOO_MANY_SETTINGS.rawValue
            || code == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS.rawValue
    }

    package var isBadPreface: Bool { code == NGHTTP2_ERR_BAD_CLIENT_MAGIC.rawValue }
}

/// The one owner of a server-side `nghttp2_session`: fed with the bytes the client sent
/// (`receive`), drained of the bytes to send (`pendingOutput`), told what to answer
/// (`respond`, `appendData`, `finishData`, `reset`, `consumed`, `shutDown`).
///
/// Each C callback is a trampoline that appends to `recorder` or, for a response body,
/// copies bytes PullGuard queued here into nghttp2's buffer; none calls nghttp2 or NIO.
/// Not thread-safe: one connection, one event loop.
package final class NGHTTP2ServerSession {
    private let session: OpaquePointer
    private let recorder = Recorder()
    /// The session's allocator; released after the session (deinit deletes the session first).
    private let memory = NGHTTP2SessionMemory()

    /// - Throws: `HTTP2SessionError` when nghttp2 cannot allocate the session.
    package init(settings: HTTP2Settings) throws {
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_header_callback(callbacks, onHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrameReceived)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onDataChunk)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamClose)
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, onBeginHeaders)
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, onFrameSent)

        var option: OpaquePointer?
        nghttp2_option_new(&option)
        defer { nghttp2_option_del(option) }
        // Flow control follows the upstream: a stream's window opens only as the upstream
        // takes its bytes (`consumed`).
        nghttp2_option_set_no_auto_window_update(option, 1)
        nghttp2_option_set_max_outbound_ack(option, settings.maxOutboundAcks)
        nghttp2_option_set_max_settings(option, settings.maxSettings)
        nghttp2_option_set_max_continuations(option, settings.maxContinuations)
        nghttp2_option_set_stream_reset_rate_limit(option, UInt64(settings.streamResetBurst), UInt64(settings.streamResetRate))
        nghttp2_option_set_max_deflate_dynamic_table_size(option, 4096)

        var created: OpaquePointer?
        var allocator = memory.allocator
        let result = nghttp2_session_server_new3(&created, callbacks, Unmanaged.passUnretained(recorder).toOpaque(),
                                                 option, &allocator)
        guard result == 0, let created else { throw HTTP2SessionError(code: result) }
        session = created

        var entries = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
                                   value: UInt32(settings.maxConcurrentStreams)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue),
                                   value: UInt32(settings.maxHeaderListSize)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_HEADER_TABLE_SIZE.rawValue),
                                   value: UInt32(settings.headerTableSize)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
                                   value: UInt32(Self.streamWindow)),
        ]
        _ = nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count)
        maxHeaderListSize = settings.maxHeaderListSize
    }

    deinit {
        nghttp2_session_del(session)
    }

    /// Each stream's receive window (and the most a stream buffers toward a slow upstream).
    package static let streamWindow = 65_535

    private let maxHeaderListSize: Int

    /// Feeds the client's bytes. Returns the events in order; throws when the connection
    /// cannot go on (bad preface, flood, protocol error): send `pendingOutput` then close.
    package func receive(_ buffer: ByteBuffer) throws(HTTP2SessionError) -> [HTTP2SessionEvent] {
        recorder.events.removeAll(keepingCapacity: true)
        recorder.headerBytesLimit = maxHeaderListSize
        let result = buffer.withUnsafeReadableBytes { bytes -> Int in
            guard let base = bytes.baseAddress else { return 0 }
            return nghttp2_session_mem_recv(session, base.assumingMemoryBound(to: UInt8.self), bytes.count)
        }
        if result < 0 { throw HTTP2SessionError(code: Int32(result)) }
        // nghttp2 advertises SETTINGS_MAX_HEADER_LIST_SIZE but does not enforce it on what
        // it receives: a request whose block went past it was never handed on; answer 431
        // (RFC 6585 §5, as nginx and nghttpx do) now that nghttp2 has returned.
        for stream in recorder.tooLarge {
            respond(stream: stream, status: 431, headers: [], hasBody: false)
            // A client still sending the request's body is told to stop, as RFC 9113 §8.1
            // allows after a complete response: RST_STREAM(NO_ERROR) once the 431 is out
            // (submitted now, nghttp2 would send the reset first and drop the response).
            if nghttp2_session_get_stream_remote_close(session, stream) == 0 { resetAfterResponse.insert(stream) }
        }
        recorder.tooLarge.removeAll()
        return recorder.events
    }

    /// The bytes nghttp2 wants to send now (frames, response bodies from the queues), or
    /// nil when there are none. Throws when the session failed while serializing.
    package func pendingOutput(allocator: ByteBufferAllocator) throws(HTTP2SessionError) -> ByteBuffer? {
        var output: ByteBuffer?
        while true {
            var data: UnsafePointer<UInt8>?
            let length = nghttp2_session_mem_send(session, &data)
            if length < 0 { throw HTTP2SessionError(code: Int32(length)) }
            guard length > 0, let data else { break }
            if output == nil { output = allocator.buffer(capacity: max(length, 16 * 1024)) }
            output!.writeBytes(UnsafeRawBufferPointer(start: data, count: length))
            if !resetAfterResponse.isEmpty { resetAnsweredStreams() }
        }
        return output
    }

    /// Streams answered early (431) whose client may still be sending: reset once the
    /// answer has gone out (their local side closed), or forgotten when already closed.
    private var resetAfterResponse: Set<Int32> = []

    private func resetAnsweredStreams() {
        for stream in resetAfterResponse {
            let localClosed = nghttp2_session_get_stream_local_close(session, stream)
            if localClosed == 0 { continue }
            resetAfterResponse.remove(stream)
            if localClosed == 1, nghttp2_session_get_stream_remote_close(session, stream) == 0 {
                reset(stream: stream, errorCode: 0)
            }
        }
    }

    /// The error code of a GOAWAY nghttp2 sent by itself for a non-zero reason (a rapid
    /// reset, a protocol error it caught), once it has gone out; nil otherwise.
    package var goAwaySent: UInt32? { recorder.goAwaySent }

    /// Gives the pages of nghttp2's outbound frame buffer back (`NGHTTP2SessionMemory`)
    /// when there is nothing to send; for a connection with no stream open for a while.
    /// - Returns: whether they were given back.
    @discardableResult
    package func releaseIdleMemory() -> Bool {
        guard nghttp2_session_want_write(session) == 0 else { return false }
        memory.releaseIdlePages()
        return true
    }

    /// Bytes of nghttp2's buffers mapped apart from the heap (tests).
    package var mappedBufferBytes: Int { memory.mappedBytes }

    /// Neither side has anything more to say: the connection can close.
    package var isFinished: Bool {
        nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0
    }

    /// The highest stream the session handed to PullGuard (for GOAWAY).
    package var lastProcessedStream: Int32 {
        nghttp2_session_get_last_proc_stream_id(session)
    }

    /// Answers `stream` with `status` and `headers` (lower-case names, no
    /// connection-specific fields). With `hasBody`, the body follows through
    /// `appendData`/`finishData`; without, the stream ends with the headers.
    package func respond(stream: Int32, status: Int, headers: [(String, String)], hasBody: Bool) {
        var fields = HTTP2FieldBlock(status: status)
        for (name, value) in headers { fields.append(name: name, value: value) }
        respond(stream: stream, fields: fields, hasBody: hasBody)
    }

    /// The same with the block built by the caller (`:status` first, then the fields).
    package func respond(stream: Int32, fields: HTTP2FieldBlock, hasBody: Bool) {
        if hasBody { recorder.outgoing[stream] = Recorder.Outgoing() }
        withNameValues(fields) { nva in
            if hasBody {
                var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: readBody)
                _ = nghttp2_submit_response(session, stream, nva.baseAddress, nva.count, &provider)
            } else {
                _ = nghttp2_submit_response(session, stream, nva.baseAddress, nva.count, nil)
            }
        }
    }

    /// Queues response body bytes for `stream` and wakes its data provider.
    package func appendData(stream: Int32, _ bytes: ByteBuffer) {
        guard recorder.modifyOutgoing(stream, { $0.append(bytes) }) != nil else { return }
        _ = nghttp2_session_resume_data(session, stream)
    }

    /// The response body of `stream` is complete.
    package func finishData(stream: Int32) {
        guard recorder.modifyOutgoing(stream, { $0.finish() }) != nil else { return }
        _ = nghttp2_session_resume_data(session, stream)
    }

    /// Response bytes queued for `stream` and not yet framed: what the handler bounds
    /// by pausing the upstream.
    package func queuedBytes(stream: Int32) -> Int {
        recorder.outgoing[stream]?.queued ?? 0
    }

    /// Resets `stream` with `errorCode` (RFC 9113 §7, e.g. 0x1 PROTOCOL_ERROR, 0x2 INTERNAL_ERROR).
    package func reset(stream: Int32, errorCode: UInt32) {
        _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream, errorCode)
    }

    /// The upstream took `bytes` of `stream`'s request body: open that much window.
    package func consumed(stream: Int32, bytes: Int) {
        guard bytes > 0 else { return }
        _ = nghttp2_session_consume(session, stream, bytes)
    }

    /// Bytes of a stream PullGuard no longer tracks (reset, answered, draining): open the
    /// connection's window again, so dropped bytes do not starve the other streams.
    package func consumedForConnection(bytes: Int) {
        guard bytes > 0 else { return }
        _ = nghttp2_session_consume_connection(session, bytes)
    }

    /// The first half of a graceful shutdown (RFC 9113 §6.8): GOAWAY with the highest stream
    /// id, telling the client to open no more streams while requests already on the wire
    /// still count. `shutDown` follows once they had time to arrive.
    package func shutdownNotice() {
        _ = nghttp2_submit_shutdown_notice(session)
    }

    /// GOAWAY naming the last stream PullGuard will process: streams already open
    /// finish; new ones are refused. `errorCode` 0 for a graceful end.
    package func shutDown(errorCode: UInt32 = 0) {
        _ = nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), lastProcessedStream, errorCode, nil, 0)
    }

    /// Ends the session at once with GOAWAY(`errorCode`), e.g. 0xb ENHANCE_YOUR_CALM.
    package func terminate(errorCode: UInt32) {
        _ = nghttp2_session_terminate_session(session, errorCode)
    }

    /// The stream's state is forgotten (closed); its queues are dropped.
    package func forget(stream: Int32) {
        recorder.outgoing[stream] = nil
    }
}

/// What the trampolines write into: events for `receive`, the header block being
/// decoded per stream, and each stream's response body queue for `readBody`.
///
/// Its stored properties are not checked for exclusive access at run time. Every access
/// is a single step, by a trampoline inside an nghttp2 call or by the session between
/// such calls, and none is held across a call into nghttp2, which is the only way a
/// trampoline could run in the middle of one. The checks were ~2% of an HTTP/2
/// request's instructions (callgrind), one for each header field decoded.
private final class Recorder {
    struct Outgoing {
        var buffers: CircularBuffer<ByteBuffer> = []
        var queued = 0
        var finished = false

        mutating func append(_ bytes: ByteBuffer) {
            queued += bytes.readableBytes
            buffers.append(bytes)
        }

        mutating func finish() { finished = true }

        /// Copies up to `length` queued bytes into `buffer`; returns how many.
        mutating func drain(into buffer: UnsafeMutablePointer<UInt8>, length: Int) -> Int {
            var written = 0
            while written < length, var head = buffers.first {
                let count = min(length - written, head.readableBytes)
                head.withUnsafeReadableBytes { bytes in
                    (buffer + written).update(from: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count)
                }
                head.moveReaderIndex(forwardBy: count)
                written += count
                if head.readableBytes == 0 {
                    buffers.removeFirst()
                } else {
                    buffers[buffers.startIndex] = head
                }
            }
            queued -= written
            return written
        }
    }

    struct HeaderBlock {
        var stream: Int32 = 0
        var fields: [HTTP2HeaderField] = []
        /// The block's size so far, as RFC 9113 §6.5.2 counts it (name + value + 32 per
        /// field), against `headerBytesLimit`.
        var bytes = 0
        /// Past `headerBytesLimit`: the fields are no longer kept (nghttp2 still decodes
        /// them, so HPACK stays in step), and once the block ends the stream is answered
        /// 431 instead of handed on.
        var overLimit = false

        mutating func add(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>, limit: Int) {
            guard !overLimit else { return }
            bytes += name.count + value.count + 32
            if bytes > limit {
                overLimit = true
                fields = []
                return
            }
            fields.append(HTTP2HeaderField(name: String(decoding: name, as: UTF8.self),
                                           value: String(decoding: value, as: UTF8.self)))
        }
    }

    @exclusivity(unchecked) var events: [HTTP2SessionEvent] = []
    /// The header block being received. A HEADERS frame and its CONTINUATION frames
    /// arrive together, never interleaved with another stream's frames (RFC 9113 §4.3),
    /// so one block is under way at a time. Per-stream tables looked up on every field
    /// were ~3% of an HTTP/2 request's instructions (callgrind).
    @exclusivity(unchecked) var block = HeaderBlock()
    /// Streams to answer 431 when `receive` returns.
    @exclusivity(unchecked) var tooLarge: [Int32] = []
    @exclusivity(unchecked) var outgoing: [Int32: Outgoing] = [:]
    @exclusivity(unchecked) var headerBytesLimit = 0
    @exclusivity(unchecked) var goAwaySent: UInt32?
    let allocator = ByteBufferAllocator()

    /// Changes the queue of `stream` in place, nil when there is none. Through
    /// `values[index]`: `outgoing[stream]?.…` runs the subscript's modify coroutine,
    /// whose frame was a `malloc` and a `free` on every call (callgrind).
    func modifyOutgoing<R>(_ stream: Int32, _ body: (inout Outgoing) -> R) -> R? {
        guard let index = outgoing.index(forKey: stream) else { return nil }
        return body(&outgoing.values[index])
    }

    /// Runs `body` with the recorder behind nghttp2's user pointer, without retaining it:
    /// the session owns it for as long as nghttp2 can call back, and a retain and release
    /// per callback (a dozen per request) were ~1.5% of an HTTP/2 request's instructions.
    static func with<R>(_ pointer: UnsafeMutableRawPointer?, _ body: (Recorder) -> R) -> R {
        Unmanaged<Recorder>.fromOpaque(pointer!)._withUnsafeGuaranteedRef(body)
    }
}

private func onBeginHeaders(_ session: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?,
                            _ user: UnsafeMutableRawPointer?) -> Int32 {
    guard let frame else { return 0 }
    var block = Recorder.HeaderBlock(stream: frame.pointee.hd.stream_id)
    // Room for a typical request's fields at once: grown field by field, the array was
    // reallocated four times per request.
    block.fields.reserveCapacity(16)
    Recorder.with(user) { $0.block = block }
    return 0
}

private func onHeader(_ session: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?,
                      _ name: UnsafePointer<UInt8>?, _ nameLength: Int,
                      _ value: UnsafePointer<UInt8>?, _ valueLength: Int,
                      _ flags: UInt8, _ user: UnsafeMutableRawPointer?) -> Int32 {
    guard let frame, let name, let value else { return 0 }
    return Recorder.with(user) { recorder in
        let stream = frame.pointee.hd.stream_id
        // Trailers are never forwarded, so never kept: HPACK lets a small block expand to any
        // size (one byte per reference to a large table entry), and nothing else bounds them.
        guard frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST, recorder.block.stream == stream else { return 0 }
        recorder.block.add(name: UnsafeBufferPointer(start: name, count: nameLength),
                           value: UnsafeBufferPointer(start: value, count: valueLength), limit: recorder.headerBytesLimit)
        return 0
    }
}

private func onFrameReceived(_ session: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?,
                             _ user: UnsafeMutableRawPointer?) -> Int32 {
    guard let frame else { return 0 }
    return Recorder.with(user) { recorder in
        let header = frame.pointee.hd
        let stream = header.stream_id
        let endStream = header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        switch UInt32(header.type) {
        case NGHTTP2_HEADERS.rawValue:
            var block = Recorder.HeaderBlock()
            if recorder.block.stream == stream { swap(&block, &recorder.block) }
            if frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST {
                if block.overLimit {
                    recorder.tooLarge.append(stream)
                    return 0
                }
                recorder.events.append(.request(stream: stream, fields: block.fields, endStream: endStream))
            } else {
                recorder.events.append(.trailers(stream: stream, endStream: endStream))
            }
        case NGHTTP2_DATA.rawValue:
            if endStream {
                recorder.events.append(.endStream(stream: stream))
            } else if header.length == 0 {
                recorder.events.append(.emptyData(stream: stream))
            }
        case NGHTTP2_GOAWAY.rawValue:
            recorder.events.append(.goAway(lastStream: frame.pointee.goaway.last_stream_id,
                                           errorCode: frame.pointee.goaway.error_code))
        default:
            break
        }
        return 0
    }
}

private func onFrameSent(_ session: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?,
                         _ user: UnsafeMutableRawPointer?) -> Int32 {
    guard let frame, UInt32(frame.pointee.hd.type) == NGHTTP2_GOAWAY.rawValue, frame.pointee.goaway.error_code != 0 else {
        return 0
    }
    Recorder.with(user) { $0.goAwaySent = frame.pointee.goaway.error_code }
    return 0
}

private func onDataChunk(_ session: OpaquePointer?, _ flags: UInt8, _ stream: Int32,
                         _ data: UnsafePointer<UInt8>?, _ length: Int, _ user: UnsafeMutableRawPointer?) -> Int32 {
    guard let data, length > 0 else { return 0 }
    return Recorder.with(user) { recorder in
        var buffer = recorder.allocator.buffer(capacity: length)
        buffer.writeBytes(UnsafeRawBufferPointer(start: data, count: length))
        recorder.events.append(.data(stream: stream, buffer))
        return 0
    }
}

private func onStreamClose(_ session: OpaquePointer?, _ stream: Int32, _ errorCode: UInt32,
                           _ user: UnsafeMutableRawPointer?) -> Int32 {
    return Recorder.with(user) { recorder in
        if recorder.block.stream == stream { recorder.block = Recorder.HeaderBlock() }
        recorder.events.append(.streamClosed(stream: stream, errorCode: errorCode))
        return 0
    }
}

/// The data provider: copies queued response bytes into nghttp2's frame buffer, or
/// defers until more arrive (`appendData` resumes it).
private func readBody(_ session: OpaquePointer?, _ stream: Int32, _ buffer: UnsafeMutablePointer<UInt8>?,
                      _ length: Int, _ flags: UnsafeMutablePointer<UInt32>?,
                      _ source: UnsafeMutablePointer<nghttp2_data_source>?, _ user: UnsafeMutableRawPointer?) -> Int {
    return Recorder.with(user) { recorder in
        guard let buffer, let index = recorder.outgoing.index(forKey: stream) else {
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        // Drained in place: a copy taken out of the dictionary and stored back made its
        // queue copy its storage on every DATA frame (the dictionary still held it).
        let written = recorder.outgoing.values[index].drain(into: buffer, length: length)
        let outgoing = recorder.outgoing.values[index]
        if outgoing.buffers.isEmpty && outgoing.finished {
            flags?.pointee |= UInt32(NGHTTP2_DATA_FLAG_EOF.rawValue)
        }
        if written == 0 && !outgoing.finished { return Int(NGHTTP2_ERR_DEFERRED.rawValue) }
        return written
    }
}

/// nghttp2 name/value pairs over the bytes of `fields`, valid inside `body` (nghttp2
/// copies what it is given on submit).
private func withNameValues<R>(_ fields: HTTP2FieldBlock, _ body: (UnsafeMutableBufferPointer<nghttp2_nv>) -> R) -> R {
    // nghttp2 copies the bytes (no NO_COPY flags) and never writes through these pointers.
    fields.bytes.withUnsafeBufferPointer { storage in
        let base = UnsafeMutablePointer(mutating: storage.baseAddress!)
        var pairs = fields.spans.map { span in
            nghttp2_nv(name: base + span.name, value: base + span.value,
                       namelen: span.nameLength, valuelen: span.valueLength, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
        }
        return pairs.withUnsafeMutableBufferPointer { body($0) }
    }
}
