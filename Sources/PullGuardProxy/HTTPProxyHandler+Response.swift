import NIOCore
import NIOHTTP1
import PullGuardHTTP

/// Writing a response to the client: every head, body part and end goes through the
/// connection's `HTTP1ResponseWriter`, which frames it as NIO's response encoder did.
extension HTTPProxyHandler {
    /// A head answering the request in flight (`requestMethod`).
    func responseHead(_ status: HTTPResponseStatus, capacity: Int = 128) -> HTTP1ResponseWriter.Head? {
        guard let context else { return nil }
        return HTTP1ResponseWriter.Head(version: requestVersion, status: status, answering: requestMethod,
                                        allocator: context.channel.allocator, capacity: capacity)
    }

    /// Ends `head` and writes it. A final head answers the request whose method was kept
    /// (`requestMethod`), which is then forgotten, as NIO's encoder took it from its queue:
    /// a response made before the next request's head (a 408, say) answers no method.
    func writeResponseHead(_ head: HTTP1ResponseWriter.Head, connection: HTTP1ResponseWriter.ConnectionField,
                           flush: Bool = false) {
        guard let context else { return }
        let bytes = responseWriter.finish(head, connection: connection)
        if !head.isInterim { requestMethod = nil }
        if flush {
            context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
        } else {
            context.write(wrapOutboundOut(bytes), promise: nil)
        }
    }

    func writeResponseBody(_ bytes: ByteBuffer) {
        guard let context else { return }
        responseWriter.body(bytes, allocator: context.channel.allocator) { framed in
            context.write(wrapOutboundOut(framed), promise: nil)
        }
    }

    /// Writes the end of the response (the last chunk, or nothing). `flush`: flushed, with
    /// a future that completes once everything before it is written.
    @discardableResult
    func writeResponseEnd(flush: Bool) -> EventLoopFuture<Void>? {
        guard let context else { return nil }
        let last = responseWriter.end(allocator: context.channel.allocator)
        guard flush else {
            if let last { context.write(wrapOutboundOut(last), promise: nil) }
            return nil
        }
        // An empty write when there is no last chunk, for a future in order with the rest.
        return context.writeAndFlush(wrapOutboundOut(last ?? context.channel.allocator.buffer(capacity: 0)))
    }
}
