import NIOCore
import NIOHTTP1
import PullGuardCore
import PullGuardHTTP

/// One HTTP/2 stream's I/O resources while its exchange runs: the upstream connection it
/// leased, the request head rewritten for it, request parts waiting for the connection,
/// the slot under the site's cap, and its clocks. The decisions are the exchange's
/// (`HTTP2ConnectionStateMachine`); this only holds what they act on.
///
/// Each stream is its upstream connection's delegate, so a response part arrives already
/// tagged with its stream; it forwards to the connection's handler on the same loop.
final class HTTP2Stream: UpstreamConnectionDelegate {
    let id: Int32
    unowned let handler: HTTP2ProxyHandler
    var upstream: UpstreamConnection?
    var upstreamHead: HTTPRequestHead?
    var buffered: [HTTPClientRequestPart] = []
    /// Request body bytes received but not yet handed to a writable upstream: the stream's
    /// window reopens by this much once they are.
    var unconsumed = 0
    var slot: UpstreamSlot?
    /// `HEAD` (or a 204/304 answer): the response has no body.
    var headRequest = false
    var responseHasBody = true
    /// The upstream has more to read, held while the client has not taken what is queued.
    var upstreamReadPending = false
    /// Request body written to the upstream and not flushed yet (`unflushedUpstreams`).
    var upstreamUnflushed = false
    let startedAt: NIODeadline
    var lastActivity: NIODeadline
    /// Set when the whole request went upstream: the `upstream_response` clock.
    var responseDeadline: NIODeadline?
    var slotDeadline: NIODeadline?
    /// The stream's access-log entry until its line is written (nil with the log off).
    var log: ExchangeLog?

    init(id: Int32, handler: HTTP2ProxyHandler, now: NIODeadline) {
        self.id = id
        self.handler = handler
        startedAt = now
        lastActivity = now
    }

    func upstreamResponsePart(_ part: UpstreamResponsePart) {
        handler.upstreamResponsePart(part, stream: self)
    }

    func upstreamReadComplete() {
        handler.upstreamReadComplete(stream: self)
    }

    func upstreamWritabilityChanged(isWritable: Bool) {
        if isWritable { handler.upstreamWritable(stream: self) }
    }

    func upstreamClosed(error: Error?) {
        handler.upstreamClosed(stream: self, error: error)
    }
}
