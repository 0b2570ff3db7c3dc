internal import CNGHTTP2
import NIOCore
import PullGuardCore

/// What the trampolines write into: events for `receive`, the header block being
/// decoded per stream, and each stream's response body queue for `readBody`.
///
/// Its stored properties are not checked for exclusive access at run time. Every access
/// is a single step, by a trampoline inside an nghttp2 call or by the session between
/// such calls, and none is held across a call into nghttp2, which is the only way a
/// trampoline could run in the middle of one. The checks were ~2% of an HTTP/2
/// request's instructions (callgrind), one for each header field decoded.
final class NGHTTP2ServerRecorder {
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
    /// Inside `nghttp2_session_mem_send`: a stream that closes now does so because its last
    /// frame went out, and `receive` never reports it (`closedWhileSending`).
    @exclusivity(unchecked) var sending = false
    /// Streams nghttp2 closed while sending: a response's END_STREAM after the request had
    /// ended, as every GET's does. Kept apart from `events`, which the next `receive` clears
    /// before the owner could see them.
    @exclusivity(unchecked) var closedWhileSending: [(stream: Int32, errorCode: UInt32)] = []
    /// The header block being received. A HEADERS frame and its CONTINUATION frames
    /// arrive together, never interleaved with another stream's frames (RFC 9113 §4.3),
    /// so one block is under way at a time. Per-stream tables looked up on every field
    /// were ~3% of an HTTP/2 request's instructions (callgrind).
    @exclusivity(unchecked) var block = HeaderBlock()
    /// Streams to answer 431 when `receive` returns.
    @exclusivity(unchecked) var tooLarge: [Int32] = []
    @exclusivity(unchecked) var outgoing = StreamTable<Outgoing>()
    @exclusivity(unchecked) var headerBytesLimit = 0
    @exclusivity(unchecked) var goAwaySent: UInt32?
    let allocator = ByteBufferAllocator()

    /// Points nghttp2's receive callbacks at this file's trampolines.
    static func install(on callbacks: OpaquePointer?) {
        nghttp2_session_callbacks_set_on_header_callback(callbacks, onHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrameReceived)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onDataChunk)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamClose)
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, onBeginHeaders)
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, onFrameSent)
    }

    /// The data provider of a response body: `readBody` copies the bytes queued in
    /// `outgoing` into nghttp2's frame buffer.
    static var bodyProvider: nghttp2_data_provider {
        nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: readBody)
    }

    /// Changes the queue of `stream` in place, nil when there is none. Not through
    /// `outgoing[stream]?.…`, which would copy the queue out and back.
    func modifyOutgoing<R>(_ stream: Int32, _ body: (inout Outgoing) -> R) -> R? {
        outgoing.modify(stream, body)
    }

    /// Runs `body` with the recorder behind nghttp2's user pointer, without retaining it:
    /// the session owns it for as long as nghttp2 can call back, and a retain and release
    /// per callback (a dozen per request) were ~1.5% of an HTTP/2 request's instructions.
    static func with<R>(_ pointer: UnsafeMutableRawPointer?, _ body: (NGHTTP2ServerRecorder) -> R) -> R {
        Unmanaged<NGHTTP2ServerRecorder>.fromOpaque(pointer!)._withUnsafeGuaranteedRef(body)
    }
}

private func onBeginHeaders(_ session: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?,
                            _ user: UnsafeMutableRawPointer?) -> Int32 {
    guard let frame else { return 0 }
    var block = NGHTTP2ServerRecorder.HeaderBlock(stream: frame.pointee.hd.stream_id)
    // Room for a typical request's fields at once: grown field by field, the array was
    // reallocated four times per request.
    block.fields.reserveCapacity(16)
    NGHTTP2ServerRecorder.with(user) { $0.block = block }
    return 0
}

private func onHeader(_ session: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?,
                      _ name: UnsafePointer<UInt8>?, _ nameLength: Int,
                      _ value: UnsafePointer<UInt8>?, _ valueLength: Int,
                      _ flags: UInt8, _ user: UnsafeMutableRawPointer?) -> Int32 {
    guard let frame, let name, let value else { return 0 }
    return NGHTTP2ServerRecorder.with(user) { recorder in
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
    return NGHTTP2ServerRecorder.with(user) { recorder in
        let header = frame.pointee.hd
        let stream = header.stream_id
        let endStream = header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        switch UInt32(header.type) {
        case NGHTTP2_HEADERS.rawValue:
            var block = NGHTTP2ServerRecorder.HeaderBlock()
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
    NGHTTP2ServerRecorder.with(user) { $0.goAwaySent = frame.pointee.goaway.error_code }
    return 0
}

private func onDataChunk(_ session: OpaquePointer?, _ flags: UInt8, _ stream: Int32,
                         _ data: UnsafePointer<UInt8>?, _ length: Int, _ user: UnsafeMutableRawPointer?) -> Int32 {
    guard let data, length > 0 else { return 0 }
    return NGHTTP2ServerRecorder.with(user) { recorder in
        var buffer = recorder.allocator.buffer(capacity: length)
        buffer.writeBytes(UnsafeRawBufferPointer(start: data, count: length))
        recorder.events.append(.data(stream: stream, buffer))
        return 0
    }
}

private func onStreamClose(_ session: OpaquePointer?, _ stream: Int32, _ errorCode: UInt32,
                           _ user: UnsafeMutableRawPointer?) -> Int32 {
    return NGHTTP2ServerRecorder.with(user) { recorder in
        if recorder.block.stream == stream { recorder.block = NGHTTP2ServerRecorder.HeaderBlock() }
        if recorder.sending {
            recorder.closedWhileSending.append((stream, errorCode))
        } else {
            recorder.events.append(.streamClosed(stream: stream, errorCode: errorCode))
        }
        return 0
    }
}

/// The data provider: copies queued response bytes into nghttp2's frame buffer, or
/// defers until more arrive (`appendData` resumes it).
private func readBody(_ session: OpaquePointer?, _ stream: Int32, _ buffer: UnsafeMutablePointer<UInt8>?,
                      _ length: Int, _ flags: UnsafeMutablePointer<UInt32>?,
                      _ source: UnsafeMutablePointer<nghttp2_data_source>?, _ user: UnsafeMutableRawPointer?) -> Int {
    return NGHTTP2ServerRecorder.with(user) { recorder in
        guard let buffer else { return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue) }
        // Drained in place: a copy taken out of the dictionary and stored back made its
        // queue copy its storage on every DATA frame (the dictionary still held it).
        let drained: Int? = recorder.modifyOutgoing(stream) { outgoing in
            let written = outgoing.drain(into: buffer, length: length)
            if outgoing.buffers.isEmpty && outgoing.finished {
                flags?.pointee |= UInt32(NGHTTP2_DATA_FLAG_EOF.rawValue)
            }
            if written == 0 && !outgoing.finished { return Int(NGHTTP2_ERR_DEFERRED.rawValue) }
            return written
        }
        return drained ?? Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
    }
}
