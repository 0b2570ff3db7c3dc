import Logging
import NIOCore
import NIOHTTP1
import PullGuardCore
import PullGuardHTTP
import PullGuardHTTP2
import PullGuardObservability

/// The downstream side of an HTTP/2 connection (ALPN `h2`): the last handler after
/// `TLSServerHandler`, installed once the handshake chose `h2`.
///
/// An adapter, like `HTTPProxyHandler`: the client's bytes go into the connection's one
/// `NGHTTP2ServerSession`; the events it returns drive `HTTP2ConnectionStateMachine` (one
/// exchange per stream), whose actions this performs. Each stream leases its own
/// connection from the loop's HTTP/1.1 upstream pool, under the site's cap.
///
/// Backpressure: a stream's request body is bounded by its HTTP/2 window, reopened only
/// as its upstream takes the bytes; a response body is bounded per stream
/// (`responseQueueLimit`): past it, that stream's upstream is not read until the client
/// took the queued bytes, so one slow stream never holds the others back. Output is only
/// produced while the channel is writable.
final class HTTP2ProxyHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Response bytes one stream may have queued toward the client before its upstream waits.
    static let responseQueueLimit = 64 * 1024

    let settings: ProxySettings
    let http2: HTTP2Settings
    let pool: UpstreamPool
    let rules: ProxyRequestRules
    let established: TLSConnectionEstablished
    let site: ProxySiteSettings
    let siteLimit: UpstreamConnectionLimit?
    let requestContext: HeaderPolicy.RequestContext
    let logger: Logger
    let counters: LoopCounters
    let siteMetrics: SiteMetricsTable
    let loop: Int
    let requestDuration: LoopHistogram?

    var machine: HTTP2ConnectionStateMachine
    private var session: NGHTTP2ServerSession?
    var streams: [Int32: HTTP2Stream] = [:]
    var context: ChannelHandlerContext?
    private var sweep: RepeatedTask?
    /// When the connection last had no open stream, for `client_idle`.
    private var idleSince: NIODeadline?
    private var closing = false
    /// When the shutdown notice went out; the final GOAWAY follows a second later.
    private var drainNoticeAt: NIODeadline?
    /// An output pass is scheduled for the end of this event-loop tick.
    private var outputScheduled = false
    private var logMetadata: Logger.Metadata

    init(established: TLSConnectionEstablished, site: ProxySiteSettings, settings: ProxySettings, http2: HTTP2Settings,
         pool: UpstreamPool, rules: ProxyRequestRules, siteLimit: UpstreamConnectionLimit?, clientIP: String?,
         logger: Logger, counters: LoopCounters, siteMetrics: SiteMetricsTable, loop: Int, requestDuration: LoopHistogram?) {
        self.established = established
        self.site = site
        self.settings = settings
        self.http2 = http2
        self.pool = pool
        self.rules = rules
        self.siteLimit = siteLimit
        self.logger = logger
        self.counters = counters
        self.siteMetrics = siteMetrics
        self.loop = loop
        self.requestDuration = requestDuration
        requestContext = HeaderPolicy.RequestContext(clientIP: clientIP, verification: established.verification,
                                                     names: settings.headers, spoofable: rules.spoofable)
        machine = HTTP2ConnectionStateMachine(maxEmptyDataFrames: http2.maxEmptyDataFrames)
        logMetadata = ["client": "\(clientIP ?? "unknown")", "site": "\(established.siteName)", "protocol": "h2"]
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        counters.increment(.http2Connections)
        do {
            session = try NGHTTP2ServerSession(settings: http2)
        } catch {
            logger.error("cannot create the HTTP/2 session: \(error)", metadata: logMetadata)
            context.close(promise: nil)
            return
        }
        idleSince = .now()
        let interval = TimeAmount.seconds(1)
        let target = NIOLoopBound(self, eventLoop: context.eventLoop)
        sweep = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            target.value.checkClocks()
        }
        // The server's SETTINGS go first, before any byte of the client is read.
        writeOutput()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        sweep?.cancel()
        sweep = nil
        abandonAllStreams()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session, !closing else { return }
        let events: [HTTP2SessionEvent]
        do {
            events = try session.receive(unwrapInboundIn(data))
        } catch {
            sessionFailed(error)
            return
        }
        for event in events { handle(event) }
        writeOutput()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        for stream in streams.values { stream.upstream?.flush() }
        writeOutput()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // `writeOutput` also resumes the upstream reads held for the client.
        if context.channel.isWritable { writeOutput() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        abandonAllStreams()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.debug("client connection error: \(error)", metadata: logMetadata)
        abandonAllStreams()
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ConnectionDrain {
            perform(machine.drain())
            writeOutput()
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: Session events

    private func handle(_ event: HTTP2SessionEvent) {
        switch event {
        case .request(let id, let fields, let endStream):
            startRequest(id, fields: fields, endStream: endStream)
        case .data(let id, let bytes):
            guard let stream = streams[id], machine.exchange(id) != nil else {
                session?.consumedForConnection(bytes: bytes.readableBytes)
                return
            }
            stream.lastActivity = .now()
            perform(machine.requestBody(stream: id), stream: stream, part: .body(.byteBuffer(bytes)))
        case .endStream(let id), .trailers(let id, endStream: true):
            // Request trailers are dropped, as for HTTP/1.1 (they would bypass anti-spoofing).
            guard let stream = streams[id] else { return }
            perform(machine.requestEnd(stream: id), stream: stream, part: .end(nil))
        case .trailers:
            break
        case .emptyData:
            perform(machine.emptyData())
        case .streamClosed(let id, let errorCode):
            if errorCode != 0 { logger.debug("stream \(id) reset (error \(errorCode))", metadata: logMetadata) }
            let action = machine.streamClosed(stream: id)
            if let stream = streams.removeValue(forKey: id) {
                if case .exchange(_, .abandonUpstream) = action { abandon(stream) }
                releaseSlot(stream)
            }
            session?.forget(stream: id)
            if streams.isEmpty { idleSince = .now() }
            if case .close = action { perform(action) }
        case .goAway:
            break
        }
    }

    private func startRequest(_ id: Int32, fields: [HTTP2HeaderField], endStream: Bool) {
        let action = machine.request(stream: id)
        guard case .startExchange = action else { return perform(action) }
        let stream = HTTP2Stream(id: id, handler: self, now: .now())
        streams[id] = stream
        idleSince = nil
        forward(stream, fields: fields, endStream: endStream)
        if endStream { perform(machine.requestEnd(stream: id), stream: stream, part: .end(nil)) }
    }

    /// Checks the request as HTTP/1.1 requests are checked (method, framing, Host binding),
    /// rewrites its headers, and leases an upstream.
    private func forward(_ stream: HTTP2Stream, fields: [HTTP2HeaderField], endStream: Bool) {
        let head: HTTPRequestHead
        switch HTTP2RequestHead.make(fields, hasBody: !endStream) {
        case .forward(let mapped):
            head = mapped
        case .conflictingHost:
            return reject(stream, .badHost, "`:authority` and Host disagree")
        }
        stream.headRequest = head.method == .HEAD
        let framing: RequestFraming
        switch RequestFraming.decide(method: head.method, headers: head.headers) {
        case .forward(let decided):
            framing = decided
        case .refuse(let refusal):
            return reject(stream, ProxyFailure(refusal: refusal, method: head.method), "request refused (\(refusal))")
        }
        switch HostBinding.decide(host: head.headers.first(name: "host"), version: .http1_1,
                                  selectedSite: established.site, sites: rules.sites) {
        case .forward:
            break
        case .misdirected(let other):
            return reject(stream, .misdirected(otherSite: other), ":authority names site \(other), not this connection's")
        case .badRequest:
            return reject(stream, .badHost, "missing or invalid :authority")
        }
        var forwarded = head
        forwarded.headers = HeaderPolicy.upstreamRequestHeaders(from: head.headers, context: requestContext, framing: framing)
        stream.upstreamHead = forwarded
        lease(stream)
    }

    private func reject(_ stream: HTTP2Stream, _ failure: ProxyFailure, _ reason: String) {
        logger.notice("\(reason); \(failure.status.code)", metadata: logMetadata.merging(["stream": "\(stream.id)"]) { $1 })
        perform(machine.reject(stream: stream.id, failure), stream: stream)
    }

    // MARK: Upstream

    private func lease(_ stream: HTTP2Stream) {
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

    private func slotGranted(_ stream: HTTP2Stream) {
        guard streams[stream.id] === stream, case .waiting(let limit, _) = stream.slot else {
            siteLimit?.release()
            return
        }
        stream.slot = .held(limit)
        stream.slotDeadline = nil
        perform(machine.slotGranted(stream: stream.id), stream: stream)
    }

    private func leaseFromPool(_ stream: HTTP2Stream) {
        pool.lease(site.upstream) { [self] result in
            switch result {
            case .success(let connection):
                guard streams[stream.id] === stream else {
                    return pool.release(connection, reusable: false)
                }
                stream.upstream = connection
                connection.delegate = stream
                perform(machine.upstreamConnected(stream: stream.id), stream: stream)
            case .failure(let failure):
                perform(machine.upstreamFailed(stream: stream.id, failure), stream: stream)
            }
            writeOutput()
        }
    }

    func upstreamResponsePart(_ part: HTTPClientResponsePart, stream: HTTP2Stream) {
        guard let session else { return }
        stream.lastActivity = .now()
        switch part {
        case .head(let head):
            // Interim answers (100 Continue) are the upstream's business with PullGuard.
            if head.status.code < 200 { return }
            let keepAlive = head.version == .http1_1 && head.isKeepAlive
            guard case .exchange(_, .writeResponseHead) = machine.responseHead(stream: stream.id, upstreamKeepAlive: keepAlive) else {
                return
            }
            stream.responseDeadline = nil
            let status = Int(head.status.code)
            stream.responseHasBody = !stream.headRequest && status != 204 && status != 304
            session.respond(stream: stream.id, status: status, headers: Self.responseFields(head.headers),
                            hasBody: stream.responseHasBody)
            countResponse(status: status)
        case .body(let bytes):
            guard case .exchange(_, .writeResponsePart) = machine.responseBody(stream: stream.id) else { return }
            if stream.responseHasBody { session.appendData(stream: stream.id, bytes) }
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
        perform(machine.upstreamFailed(stream: stream.id, .closedBeforeResponse), stream: stream)
        writeOutput()
    }

    /// Reads the stream's upstream only while what it sent has left for the client.
    private func readUpstreamIfRoom(_ stream: HTTP2Stream) {
        guard let upstream = stream.upstream, let session, let context else { return }
        if context.channel.isWritable && session.queuedBytes(stream: stream.id) < Self.responseQueueLimit {
            stream.upstreamReadPending = false
            upstream.read()
        } else {
            stream.upstreamReadPending = true
        }
    }

    private func resumeUpstreamReads() {
        for stream in streams.values where stream.upstreamReadPending { readUpstreamIfRoom(stream) }
    }

    /// Opens the stream's window by what its upstream has taken.
    private func consumeWindow(_ stream: HTTP2Stream) {
        guard stream.unconsumed > 0, let upstream = stream.upstream, upstream.isWritable else { return }
        session?.consumed(stream: stream.id, bytes: stream.unconsumed)
        stream.unconsumed = 0
        writeOutput()
    }

    // MARK: Actions

    private func perform(_ action: HTTP2ConnectionStateMachine.Action, stream: HTTP2Stream? = nil,
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

    private func perform(_ action: ProxyExchangeStateMachine.Action, stream: HTTP2Stream, part: HTTPClientRequestPart?) {
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
            if case .body(.byteBuffer(let bytes)) = part { stream.unconsumed += bytes.readableBytes }
            consumeWindow(stream)
        case .writeRequestEnd:
            stream.upstream?.write(.end(nil))
            stream.upstream?.flush()
            stream.responseDeadline = .now() + settings.timeouts.upstreamResponse
        case .sendBufferedRequest:
            guard let upstream = stream.upstream, let head = stream.upstreamHead else { return }
            upstream.write(.head(head))
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
    private func respond(_ stream: HTTP2Stream, _ failure: ProxyFailure) {
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
        let body = ByteBuffer(string: message)
        session?.respond(stream: stream.id, status: status, headers: [
            ("content-type", "text/plain; charset=utf-8"), ("content-length", "\(body.readableBytes)"),
        ], hasBody: true)
        session?.appendData(stream: stream.id, body)
        session?.finishData(stream: stream.id)
    }

    private func abandon(_ stream: HTTP2Stream) {
        stream.responseDeadline = nil
        if let upstream = stream.upstream {
            stream.upstream = nil
            pool.release(upstream, reusable: false)
        }
        releaseSlot(stream)
    }

    private func releaseSlot(_ stream: HTTP2Stream) {
        guard let slot = stream.slot else { return }
        stream.slot = nil
        stream.slotDeadline = nil
        slot.giveBack()
    }

    private func abandonAllStreams() {
        for stream in streams.values { abandon(stream) }
        streams.removeAll()
    }

    private func countResponse(status: Int) {
        siteMetrics.increment(.h2Requests(status: status), site: established.site, loop: loop)
    }

    private func recordDuration(_ stream: HTTP2Stream) {
        requestDuration?.recordNanoseconds((NIODeadline.now() - stream.startedAt).nanoseconds)
    }

    /// Response header fields for HTTP/2: lower-case names, without the connection-specific
    /// fields HTTP/2 forbids (RFC 9113 §8.2.2), after the HTTP/1.1 response policy.
    static func responseFields(_ upstream: HTTPHeaders) -> [(String, String)] {
        var fields: [(String, String)] = []
        for (name, value) in HeaderPolicy.downstreamResponseHeaders(from: upstream) {
            let lower = name.lowercased()
            switch lower {
            case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade": continue
            default: fields.append((lower, value))
            }
        }
        return fields
    }

    // MARK: Output, clocks, failures

    /// One output pass at the end of this event-loop tick, after the reads of every upstream
    /// that had something: the responses of several streams leave in one TLS write.
    private func scheduleOutput() {
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
        do {
            if let output = try session.pendingOutput(allocator: context.channel.allocator) {
                context.writeAndFlush(wrapOutboundOut(output), promise: nil)
            }
        } catch {
            sessionFailed(error)
            return
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

    private func closeAfterOutput() {
        closing = true
        writeOutput()
        context?.close(promise: nil)
    }

    private func sessionFailed(_ error: HTTP2SessionError) {
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
    private func checkClocks() {
        let now = NIODeadline.now()
        for stream in Array(streams.values) {
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
        if let idleSince, streams.isEmpty, now - idleSince >= settings.timeouts.downstreamIdle {
            self.idleSince = nil
            perform(.close)
        }
        writeOutput()
    }
}
