internal import CNGHTTP2
import NIOCore

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
