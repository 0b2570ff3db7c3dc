import Logging
import NIOCore
import NIOHTTP1
import PullGuardCore
import PullGuardHTTP
import PullGuardHTTP2
import PullGuardObservability

/// Writing what the session has to send, the once-a-second clocks, and the end of a session.
extension HTTP2ProxyHandler {
    /// One output pass at the end of this event-loop tick, after the reads of every upstream
    /// that had something: the responses of several streams leave in one TLS write.
    func scheduleOutput() {
        guard !outputScheduled, let context else { return }
        outputScheduled = true
        let target = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            target.value.outputScheduled = false
            target.value.writeOutput()
        }
    }

    /// Writes what the session has to send, while the client takes it.
    func writeOutput() {
        guard let context, let session, context.channel.isActive else { return }
        guard context.channel.isWritable else { return }
        while true {
            do {
                if let output = try session.pendingOutput(allocator: context.channel.allocator) {
                    context.writeAndFlush(wrapOutboundOut(output), promise: nil)
                }
            } catch {
                sessionFailed(error)
                return
            }
            // Streams whose last frame just went out. Forgetting one may start another
            // (a slot freed), so the session is asked again until nothing more closes.
            let closed = session.takeStreamsClosedWhileSending()
            if closed.isEmpty { break }
            // This pass may run inside `channelRead`'s own event loop (a close): as there,
            // no output pass of its own per event, and the caller's state is left as found.
            let wasHandlingEvents = handlingEvents
            handlingEvents = true
            for (id, errorCode) in closed { handle(.streamClosed(stream: id, errorCode: errorCode)) }
            handlingEvents = wasHandlingEvents
            guard context.channel.isActive, context.channel.isWritable else { break }
        }
        resumeUpstreamReads()
        if let code = session.goAwaySent, !closing {
            // nghttp2 ended the session itself: a reset rate over `stream_reset_*` (rapid
            // reset) or a protocol error it caught. Nothing more is served.
            closing = true
            counters.increment(code == 0x2 || code == 0xb ? .http2Abuse : .http2ProtocolErrors)
            logger.notice("HTTP/2 session ended by GOAWAY (error \(code)); closing", metadata: logMetadata)
            abandonAllStreams()
            context.close(promise: nil)
            return
        }
        if session.isFinished || (closing && streams.isEmpty) { context.close(promise: nil) }
    }

    func closeAfterOutput() {
        closing = true
        writeOutput()
        context?.close(promise: nil)
    }

    func sessionFailed(_ error: HTTP2SessionError) {
        if error.isFlood {
            counters.increment(.http2Abuse)
            logger.notice("HTTP/2 client floods (\(error)); GOAWAY", metadata: logMetadata)
        } else {
            counters.increment(.http2ProtocolErrors)
            logger.info("HTTP/2 protocol error (\(error)); closing", metadata: logMetadata)
        }
        closing = true
        abandonAllStreams()
        // nghttp2 queued its GOAWAY; send it before closing.
        if let context, let output = try? session?.pendingOutput(allocator: context.channel.allocator) {
            context.writeAndFlush(wrapOutboundOut(output), promise: nil)
        }
        context?.close(promise: nil)
    }

    /// Once a second: streams idle past `http2.stream_idle`, responses past
    /// `upstream_response`, slot waits past `upstream_connect`, and a connection with no
    /// stream past `client_idle`.
    func checkClocks() {
        let now = NIODeadline.now()
        for stream in streams.values {
            if let deadline = stream.responseDeadline, deadline <= now {
                stream.responseDeadline = nil
                perform(machine.upstreamFailed(stream: stream.id, .responseTimedOut(settings.timeouts.upstreamResponse)),
                        stream: stream)
            } else if let deadline = stream.slotDeadline, deadline <= now, case .waiting(let limit, let id) = stream.slot,
                      limit.cancel(id) {
                stream.slot = nil
                stream.slotDeadline = nil
                counters.increment(.upstreamLimitRejected)
                perform(machine.slotWaitTimedOut(stream: stream.id, limit: limit.limit, waited: settings.timeouts.upstreamConnect),
                        stream: stream)
            } else if stream.upstream == nil || stream.responseDeadline == nil, now - stream.lastActivity >= http2.streamIdle {
                counters.increment(.clientTimeouts)
                counters.increment(.http2StreamsReset)
                abandon(stream)
                session?.reset(stream: stream.id, errorCode: 0x8)  // CANCEL
            }
        }
        if let noticeAt = drainNoticeAt, now - noticeAt >= .seconds(1) {
            drainNoticeAt = nil
            perform(machine.drainGraceOver())
        }
        // Idle since the last sweep at least: the frame buffer's pages go back to the kernel
        // (an idle HTTP/2 connection's largest buffer), once per idle period.
        if let idleSince, streams.isEmpty, !idleMemoryReleased, now - idleSince >= .seconds(1), !closing {
            idleMemoryReleased = session?.releaseIdleMemory() ?? false
        }
        if let idleSince, streams.isEmpty, now - idleSince >= settings.timeouts.downstreamIdle {
            self.idleSince = nil
            perform(.close)
        }
        writeOutput()
    }
}
