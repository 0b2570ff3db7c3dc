import NIOCore
import PullGuardObservability
import NIOHTTP1
import PullGuardHTTP
import PullGuardCore

extension HTTPProxyHandler {
    /// Carries out one state-machine action. `part` is the request part the
    /// action is about, for the request-part actions.
    func perform(_ action: ProxyConnectionStateMachine.Action, part: HTTPClientRequestPart? = nil) {
        guard let context else { return }
        switch action {
        case .none:
            break
        case .startExchange:
            idleDeadline = nil
            headerDeadline = nil
        case .armIdleTimer:
            armIdleTimer()
            armHeaderTimer()
        case .closeDownstream:
            closeDownstream(context)
        case .abortDownstream:
            abandonUpstream()
            abortClose(context)
        case .exchange(let action):
            perform(exchange: action, part: part, context: context)
        }
    }

    private func closeDownstream(_ context: ChannelHandlerContext) {
        abandonUpstream()
        context.close(promise: nil)
    }

    /// Carries out what the exchange asks for.
    private func perform(exchange action: ProxyExchangeStateMachine.Action, part: HTTPClientRequestPart?,
                         context: ChannelHandlerContext) {
        switch action {
        case .none, .dropRequestPart:
            break
        case .closeDownstream:
            closeDownstream(context)
        case .bufferRequestPart:
            if let part { buffered.append(part) }
        case .writeRequestPart:
            if let part { upstream?.write(part) }
        case .writeRequestEnd:
            upstream?.write(.end(nil))
            upstream?.flush()
            armResponseTimer()
        case .sendBufferedRequest(let sendContinue):
            guard let upstream, let head = upstreamHead, let requestContext else { return }
            if sendContinue {
                // The client waits for this before sending its body (nginx sends it when it
                // starts reading the body; here, once there is somewhere to send it).
                if let head = responseHead(.continue, capacity: 0) { writeResponseHead(head, connection: .none, flush: true) }
            }
            upstream.writeHead(head, appending: requestContext.identityLines)
            exchangeLog?.requestHeadSent()
            var requestSent = false
            for part in buffered {
                upstream.write(part)
                if case .end = part { requestSent = true }
            }
            buffered.removeAll()
            upstream.flush()
            if requestSent { armResponseTimer() }
            upstream.read()
            resumeClientReadsIfPossible()
        case .abandonUpstream:
            abandonUpstream()
        case .waitForSlot:
            counters.increment(.upstreamLimitWaits)
            armSlotWaitTimer()
        case .leaseConnection:
            takeGrantedSlot()
        case .releaseSlot:
            siteLimit?.release()
        case .respondWithFailure(let failure, let after):
            respond(failure, then: after)
        case .writeResponseHead, .writeResponsePart, .startTunnel:
            break  // done by the caller, which holds the response part
        case .writeResponseEnd(let disposal, let after):
            responseDeadline = nil
            recordRequestDuration()
            writeExchangeLog()
            if let upstream {
                self.upstream = nil
                pool.release(upstream, reusable: disposal == .release)
            }
            releaseUpstreamSlot()
            if after == .close && closeSendsPendingWrites {
                // Unflushed: closing makes the TLS handler encrypt what is pending and send
                // it with its close_notify in one write (one syscall fewer per connection).
                writeResponseEnd(flush: false)
                finish(after, after: nil)
            } else {
                finish(after, after: writeResponseEnd(flush: true))
            }
        case .completeExchange(let after):
            finish(after, after: context.eventLoop.makeSucceededVoidFuture())
        }
    }

    /// Answers a request with a one-line text/plain body and logs it once.
    func respond(_ failure: ProxyFailure, then after: ProxyConnectionStateMachine.After) {
        guard let context else { return }
        responseDeadline = nil
        abandonUpstream()
        buffered.removeAll()
        let upstreamAddress = site?.upstream ?? UpstreamAddress(host: "unknown", port: 0)
        let message = failure.message(upstream: upstreamAddress)
        // The client's own faults were logged where they were decided.
        if let kind = failure.upstreamErrorCounter {
            counters.increment(.upstreamErrors)
            if let tls { siteMetrics.increment(kind, site: tls.site, loop: loop) }
            logger.error("\(message.dropLast())", metadata: logMetadata)
        }
        countResponse(status: Int(failure.status.code))
        recordRequestDuration()
        if exchangeLog == nil, connectionLog.log != nil {
            // A request whose head could not be read (400): still one line.
            exchangeLog = ExchangeLog(protocolName: requestVersion.minor == 0 ? "HTTP/1.0" : "HTTP/1.1", startedAt: .now())
        }
        exchangeLog?.answered(status: Int(failure.status.code))
        writeExchangeLog()
        guard var head = responseHead(failure.status) else { return }
        head.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        head.add(name: "Content-Length", value: "\(message.utf8.count)")
        writeResponseHead(head, connection: after == .close ? .close : .none)
        writeResponseBody(context.channel.allocator.buffer(string: message))
        let end = writeResponseEnd(flush: true)
        if after != .drainRequest { finish(after, after: end) }
        resumeClientReadsIfPossible()
    }

    /// One response sent to the client (the upstream's or PullGuard's own), by site and status class.
    func countResponse(status: Int) {
        guard let tls else { return }
        siteMetrics.increment(.requests(status: status), site: tls.site, loop: loop)
    }

    /// From the request head to the response's end (or PullGuard's own answer).
    func recordRequestDuration() {
        guard let started = exchangeStartedAt else { return }
        exchangeStartedAt = nil
        requestDuration?.recordNanoseconds((NIODeadline.now() - started).nanoseconds)
    }

    /// Ends an exchange: wait for the next request, or close once `written` is out
    /// (nil: the close itself sends what is pending, `closeSendsPendingWrites`).
    func finish(_ after: ProxyConnectionStateMachine.After, after written: EventLoopFuture<Void>?) {
        guard let context else { return }
        upstreamHead = nil
        switch after {
        case .keepAlive:
            armIdleTimer()
            if decoderStopped { return scheduleCodecReset() }
            replayPipelined()
            resumeClientReadsIfPossible()
        case .drainRequest:
            resumeClientReadsIfPossible()
        case .close:
            guard let written else { return context.close(promise: nil) }
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    /// Hands waiting pipelined parts on, in order, until one has to wait again.
    func replayPipelined() {
        guard !replayingPipelined else { return }
        replayingPipelined = true
        defer { replayingPipelined = false }
        while context != nil, let input = machine.nextPipelined() {
            switch input {
            case .part(let part): handle(part)
            case .malformed(let reason): malformedRequest(reason)
            }
        }
    }

    /// Closes at once. The first close lets a TLS handler in front write its close_notify
    /// (sent if the socket takes it now); a TLS handler that is already closing treats a
    /// second close as "close the socket now" instead of waiting for that write, which a
    /// client that stopped reading would never let complete.
    func abortClose(_ context: ChannelHandlerContext) {
        context.close(promise: nil)
        context.close(promise: nil)
    }

    /// Drops the upstream connection of an unfinished exchange: it cannot be reused.
    func abandonUpstream() {
        responseDeadline = nil
        releaseUpstreamSlot()
        guard let upstream else { return }
        self.upstream = nil
        pool.release(upstream, reusable: false)
    }
}
