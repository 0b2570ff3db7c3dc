import Logging
import NIOCore
import NIOHTTP1
import PullGuardCore
import PullGuardHTTP
import PullGuardHTTP2
import PullGuardObservability

/// A stream's upstream: the slot under the site's cap, the lease from this loop's pool,
/// the response parts its connection delivers, and the flow control between the two sides.
extension HTTP2ProxyHandler {
    func lease(_ stream: HTTP2Stream) {
        guard let limit = siteLimit, let context else { return leaseFromPool(stream) }
        let eventLoop = context.eventLoop
        let acquired = limit.acquire {
            UpstreamConnectionLimit.Waiter(
                eventLoop: eventLoop, granted: NIOLoopBound({ [self] in slotGranted(stream) }, eventLoop: eventLoop))
        }
        switch acquired {
        case .granted:
            stream.slot = .held(limit)
            leaseFromPool(stream)
        case .waiting(let waiter):
            stream.slot = .waiting(limit, waiter)
            stream.slotDeadline = .now() + settings.timeouts.upstreamConnect
            counters.increment(.upstreamLimitWaits)
            perform(machine.slotBusy(stream: stream.id), stream: stream)
        }
    }

    func slotGranted(_ stream: HTTP2Stream) {
        guard streams[stream.id] === stream, case .waiting(let limit, _) = stream.slot else {
            siteLimit?.release()
            return
        }
        stream.slot = .held(limit)
        stream.slotDeadline = nil
        perform(machine.slotGranted(stream: stream.id), stream: stream)
    }

    func leaseFromPool(_ stream: HTTP2Stream) {
        pool.lease(site.upstream) { [self] result in
            switch result {
            case .success(let connection):
                guard streams[stream.id] === stream else {
                    return pool.release(connection, reusable: false)
                }
                stream.upstream = connection
                connection.delegate = stream
                stream.log?.upstreamConnected()
                perform(machine.upstreamConnected(stream: stream.id), stream: stream)
            case .failure(let failure):
                perform(machine.upstreamFailed(stream: stream.id, failure), stream: stream)
            }
            if !handlingEvents { writeOutput() }
        }
    }

    func upstreamResponsePart(_ part: UpstreamResponsePart, stream: HTTP2Stream) {
        guard let session else { return }
        stream.lastActivity = .now()
        switch part {
        case .head(let head):
            // Interim answers (100 Continue, 103) are the upstream's business with PullGuard:
            // the parser drops them. A 101 comes through, for the exchange to refuse.
            let switchingProtocols = head.status == .switchingProtocols
            let status = Int(head.status.code)
            // HTTP/2 forbids the connection-specific fields (RFC 9113 §8.2.2): all of them
            // are hop-by-hop, so the response policy has removed them already.
            var fields = HTTP2FieldBlock(status: status)
            let keepAlive = HeaderPolicy.forEachDownstreamResponseField(of: head) { fields.append(name: $0, value: $1) }
            let reusable = head.version == .http1_1 && keepAlive
            let action = machine.responseHead(stream: stream.id, switchingProtocols: switchingProtocols,
                                              upstreamKeepAlive: reusable)
            guard case .exchange(_, .writeResponseHead) = action else {
                // A 101 is refused with 502 now, not a 504 once `upstream_response` runs out (the
                // connection speaks something else after it). The upstream connection has left
                // the stream, so its read-complete will not schedule the output.
                perform(action, stream: stream)
                return scheduleOutput()
            }
            stream.responseDeadline = nil
            stream.responseHasBody = !stream.headRequest && status != 204 && status != 304
            session.respond(stream: stream.id, fields: fields, hasBody: stream.responseHasBody)
            stream.log?.responseHead(status: status)
            countResponse(status: status)
        case .body(let bytes):
            guard case .exchange(_, .writeResponsePart) = machine.responseBody(stream: stream.id) else { return }
            if stream.responseHasBody {
                stream.log?.bodyOut(bytes.readableBytes)
                session.appendData(stream: stream.id, bytes)
            }
        case .end:
            perform(machine.responseEnd(stream: stream.id), stream: stream)
        }
    }

    func upstreamReadComplete(stream: HTTP2Stream) {
        scheduleOutput()
        readUpstreamIfRoom(stream)
    }

    func upstreamWritable(stream: HTTP2Stream) {
        consumeWindow(stream)
    }

    func upstreamClosed(stream: HTTP2Stream, error: Error?) {
        guard stream.upstream != nil else { return }
        if let error { logger.debug("upstream connection error: \(error)", metadata: logMetadata) }
        perform(machine.upstreamFailed(stream: stream.id, ProxyFailure(upstreamClosedWith: error)), stream: stream)
        writeOutput()
    }

    /// Reads the stream's upstream only while what it sent has left for the client.
    func readUpstreamIfRoom(_ stream: HTTP2Stream) {
        guard let upstream = stream.upstream, let session, let context else { return }
        if context.channel.isWritable && session.queuedBytes(stream: stream.id) < Self.responseQueueLimit {
            stream.upstreamReadPending = false
            upstream.read()
        } else {
            stream.upstreamReadPending = true
            upstreamReadsHeld = true
        }
    }

    func resumeUpstreamReads() {
        guard upstreamReadsHeld else { return }
        upstreamReadsHeld = false
        for stream in streams.values where stream.upstreamReadPending { readUpstreamIfRoom(stream) }
    }

    /// Opens the stream's window by what its upstream has taken.
    func consumeWindow(_ stream: HTTP2Stream) {
        guard stream.unconsumed > 0, let upstream = stream.upstream, upstream.isWritable else { return }
        session?.consumed(stream: stream.id, bytes: stream.unconsumed)
        stream.unconsumed = 0
        if !handlingEvents { writeOutput() }
    }
}
