internal import CNGHTTP2
import NIOCore
import PullGuardCore

/// The one owner of a server-side `nghttp2_session`: fed with the bytes the client sent
/// (`receive`), drained of the bytes to send (`pendingOutput`), told what to answer
/// (`respond`, `appendData`, `finishData`, `reset`, `consumed`, `shutDown`).
///
/// Each C callback is a trampoline that appends to `recorder` or, for a response body,
/// copies bytes PullGuard queued here into nghttp2's buffer; none calls nghttp2 or NIO.
/// Not thread-safe: one connection, one event loop.
package final class NGHTTP2ServerSession {
    private let session: OpaquePointer
    private let recorder = NGHTTP2ServerRecorder()
    /// The session's allocator; released after the session (deinit deletes the session first).
    private let memory = NGHTTP2SessionMemory()

    /// - Throws: `HTTP2SessionError` when nghttp2 cannot allocate the session.
    package init(settings: HTTP2Settings) throws {
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        defer { nghttp2_session_callbacks_del(callbacks) }
        NGHTTP2ServerRecorder.install(on: callbacks)

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
    /// Streams that close as their last frame goes out are told by
    /// ``takeStreamsClosedWhileSending()``, not by `receive`'s events.
    package func pendingOutput(allocator: ByteBufferAllocator) throws(HTTP2SessionError) -> ByteBuffer? {
        var output: ByteBuffer?
        recorder.sending = true
        defer { recorder.sending = false }
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

    /// The streams nghttp2 closed during ``pendingOutput(allocator:)`` calls since the last
    /// take: the owner forgets them as it forgets a `streamClosed` from `receive`. Without
    /// this, every stream whose response ended after its request (a GET's) stayed with the
    /// owner for the connection's life, and the connection never counted as idle.
    package func takeStreamsClosedWhileSending() -> [(stream: Int32, errorCode: UInt32)] {
        guard !recorder.closedWhileSending.isEmpty else { return [] }
        let closed = recorder.closedWhileSending
        recorder.closedWhileSending = []
        return closed
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
        if hasBody { recorder.outgoing[stream] = NGHTTP2ServerRecorder.Outgoing() }
        withNameValues(fields) { nva in
            if hasBody {
                var provider = NGHTTP2ServerRecorder.bodyProvider
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
