import Logging
import NIOCore
import NIOHTTP1
import PullGuardCore
import PullGuardHTTP
import PullGuardHTTP2
import PullGuardObservability

/// Carrying out what the connection and exchange state machines decide, and PullGuard's
/// own answers on a stream.
extension HTTP2ProxyHandler {
    func perform(_ action: HTTP2ConnectionStateMachine.Action, stream: HTTP2Stream? = nil,
                         part: HTTPClientRequestPart? = nil) {
        switch action {
        case .none, .startExchange:
            break
        case .exchange(_, let exchangeAction):
            guard let stream else { return }
            perform(exchangeAction, stream: stream, part: part)
        case .refuse(let id):
            session?.reset(stream: id, errorCode: 0x7)  // REFUSED_STREAM: not processed, may be retried
        case .terminateForAbuse:
            counters.increment(.http2Abuse)
            logger.notice("HTTP/2 client floods (empty DATA frames); GOAWAY", metadata: logMetadata)
            session?.terminate(errorCode: 0xb)  // ENHANCE_YOUR_CALM
            closeAfterOutput()
        case .goAwayNotice:
            session?.shutdownNotice()
            drainNoticeAt = .now()
        case .goAway:
            session?.shutDown()
        case .close:
            session?.shutDown()
            closeAfterOutput()
        }
    }

    func perform(_ action: ProxyExchangeStateMachine.Action, stream: HTTP2Stream, part: HTTPClientRequestPart?) {
        switch action {
        case .none, .waitForSlot, .startTunnel, .writeResponseHead, .writeResponsePart:
            break
        case .dropRequestPart:
            if case .body(.byteBuffer(let bytes)) = part { session?.consumed(stream: stream.id, bytes: bytes.readableBytes) }
        case .bufferRequestPart:
            if let part {
                stream.buffered.append(part)
                if case .body(.byteBuffer(let bytes)) = part { stream.unconsumed += bytes.readableBytes }
            }
        case .writeRequestPart:
            guard let part, let upstream = stream.upstream else { return }
            upstream.write(part)
            if !stream.upstreamUnflushed {
                stream.upstreamUnflushed = true
                unflushedUpstreams.append(stream)
            }
            if case .body(.byteBuffer(let bytes)) = part { stream.unconsumed += bytes.readableBytes }
            consumeWindow(stream)
        case .writeRequestEnd:
            stream.upstream?.write(.end(nil))
            stream.upstream?.flush()
            stream.responseDeadline = .now() + settings.timeouts.upstreamResponse
        case .sendBufferedRequest:
            guard let upstream = stream.upstream, let head = stream.upstreamHead else { return }
            upstream.writeHead(head, appending: requestContext.identityLines)
            stream.log?.requestHeadSent()
            var requestSent = false
            for buffered in stream.buffered {
                upstream.write(buffered)
                if case .end = buffered { requestSent = true }
            }
            stream.buffered.removeAll()
            upstream.flush()
            if requestSent { stream.responseDeadline = .now() + settings.timeouts.upstreamResponse }
            consumeWindow(stream)
            upstream.read()
        case .abandonUpstream:
            abandon(stream)
        case .leaseConnection:
            leaseFromPool(stream)
        case .releaseSlot:
            siteLimit?.release()
        case .respondWithFailure(let failure, _):
            respond(stream, failure)
        case .writeResponseEnd(let disposal, _):
            stream.responseDeadline = nil
            if let upstream = stream.upstream {
                stream.upstream = nil
                pool.release(upstream, reusable: disposal == .release)
            }
            releaseSlot(stream)
            session?.finishData(stream: stream.id)
            recordDuration(stream)
            writeLog(stream)
            // The upstream connection went back to the pool: its read-complete will not
            // reach this stream any more.
            scheduleOutput()
        case .completeExchange:
            break
        case .closeDownstream:
            // A response already under way cannot be finished: only this stream ends.
            counters.increment(.http2StreamsReset)
            abandon(stream)
            session?.reset(stream: stream.id, errorCode: 0x2)  // INTERNAL_ERROR
        }
    }

    /// PullGuard's own answer (421, 400, 405, 502, 503, 504) on the stream. A request body
    /// still arriving is read and dropped (its window reopened), never half-forwarded.
    func respond(_ stream: HTTP2Stream, _ failure: ProxyFailure) {
        abandon(stream)
        stream.buffered.removeAll()
        session?.consumed(stream: stream.id, bytes: stream.unconsumed)
        stream.unconsumed = 0
        let message = failure.message(upstream: site.upstream)
        // The client's own faults were logged where they were decided.
        if let kind = failure.upstreamErrorCounter {
            counters.increment(.upstreamErrors)
            siteMetrics.increment(kind, site: established.site, loop: loop)
            logger.error("\(message.dropLast())", metadata: logMetadata.merging(["stream": "\(stream.id)"]) { $1 })
        }
        let status = Int(failure.status.code)
        countResponse(status: status)
        recordDuration(stream)
        if stream.log == nil, connectionLog.log != nil {
            stream.log = ExchangeLog(protocolName: "HTTP/2", startedAt: stream.startedAt)
            stream.log?.entry.stream = stream.id
        }
        stream.log?.answered(status: status)
        writeLog(stream)
        let body = ByteBuffer(string: message)
        session?.respond(stream: stream.id, status: status, headers: [
            ("content-type", "text/plain; charset=utf-8"), ("content-length", "\(body.readableBytes)"),
        ], hasBody: true)
        session?.appendData(stream: stream.id, body)
        session?.finishData(stream: stream.id)
    }

    func abandon(_ stream: HTTP2Stream) {
        stream.responseDeadline = nil
        if let upstream = stream.upstream {
            stream.upstream = nil
            pool.release(upstream, reusable: false)
        }
        releaseSlot(stream)
    }

    func releaseSlot(_ stream: HTTP2Stream) {
        guard let slot = stream.slot else { return }
        stream.slot = nil
        stream.slotDeadline = nil
        slot.giveBack()
    }

    func abandonAllStreams() {
        for stream in streams.values {
            writeLog(stream)
            abandon(stream)
        }
        streams.removeAll()
    }

    /// Writes the stream's access-log line, once.
    func writeLog(_ stream: HTTP2Stream) {
        guard let exchange = stream.log else { return }
        stream.log = nil
        connectionLog.write(exchange, counters: counters)
    }

    func countResponse(status: Int) {
        siteMetrics.increment(.h2Requests(status: status), site: established.site, loop: loop)
    }

    func recordDuration(_ stream: HTTP2Stream) {
        requestDuration?.recordNanoseconds((NIODeadline.now() - stream.startedAt).nanoseconds)
    }
}
