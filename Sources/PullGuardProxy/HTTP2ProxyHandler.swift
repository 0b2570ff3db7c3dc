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
    var session: NGHTTP2ServerSession?
    var streams = StreamTable<HTTP2Stream>()
    var context: ChannelHandlerContext?
    var sweep: RepeatedTask?
    /// When the connection last had no open stream, for `client_idle`.
    var idleSince: NIODeadline?
    /// nghttp2's frame buffer was given back in the current idle period (`checkClocks`).
    var idleMemoryReleased = false
    var closing = false
    /// When the shutdown notice went out; the final GOAWAY follows a second later.
    var drainNoticeAt: NIODeadline?
    /// An output pass is scheduled for the end of this event-loop tick.
    var outputScheduled = false
    /// `channelRead` is handling the session's events and writes the output after them:
    /// what they cause on the way (a lease answered from the pool at once) needs no pass
    /// of its own, which cost ~1.5% of an HTTP/2 request's instructions (callgrind).
    var handlingEvents = false
    /// Streams whose upstream has request body written and not flushed (flushed once per
    /// read batch), and whether some stream may wait for room to read its upstream. Both
    /// spare a walk over every stream at each read batch and output pass.
    var unflushedUpstreams: [HTTP2Stream] = []
    var upstreamReadsHeld = false
    var logMetadata: Logger.Metadata
    /// The access log of this connection's configuration (nil: off) and its request ids.
    var connectionLog: ConnectionLog

    init(established: TLSConnectionEstablished, site: ProxySiteSettings, settings: ProxySettings, http2: HTTP2Settings,
         pool: UpstreamPool, rules: ProxyRequestRules, siteLimit: UpstreamConnectionLimit?, clientIP: String?,
         clientPort: Int? = nil, logger: Logger, counters: LoopCounters, siteMetrics: SiteMetricsTable, loop: Int,
         requestDuration: LoopHistogram?, accessLog: AccessLog? = nil) {
        connectionLog = ConnectionLog(log: accessLog)
        connectionLog.connect(established, clientAddress: clientIP, clientPort: clientPort)
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
        handlingEvents = true
        for event in events { handle(event) }
        handlingEvents = false
        writeOutput()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        for stream in unflushedUpstreams {
            stream.upstreamUnflushed = false
            stream.upstream?.flush()
        }
        unflushedUpstreams.removeAll(keepingCapacity: true)
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

    func handle(_ event: HTTP2SessionEvent) {
        switch event {
        case .request(let id, let fields, let endStream):
            startRequest(id, fields: fields, endStream: endStream)
        case .data(let id, let bytes):
            guard let stream = streams[id], machine.exchange(id) != nil else {
                session?.consumedForConnection(bytes: bytes.readableBytes)
                return
            }
            stream.lastActivity = .now()
            stream.log?.bodyIn(bytes.readableBytes)
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
                writeLog(stream)
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

    func startRequest(_ id: Int32, fields: [HTTP2HeaderField], endStream: Bool) {
        let action = machine.request(stream: id)
        guard case .startExchange = action else { return perform(action) }
        let stream = HTTP2Stream(id: id, handler: self, now: .now())
        streams[id] = stream
        idleSince = nil
        idleMemoryReleased = false
        forward(stream, fields: fields, endStream: endStream)
        if endStream { perform(machine.requestEnd(stream: id), stream: stream, part: .end(nil)) }
    }

    /// Checks the request as HTTP/1.1 requests are checked (method, framing, Host binding),
    /// rewrites its headers, and leases an upstream.
    func forward(_ stream: HTTP2Stream, fields: [HTTP2HeaderField], endStream: Bool) {
        let head: HTTPRequestHead
        switch HTTP2RequestHead.make(fields, hasBody: !endStream) {
        case .forward(let mapped):
            head = mapped
        case .conflictingHost:
            return reject(stream, .badHost, "`:authority` and Host disagree")
        }
        if connectionLog.log != nil {
            stream.log = ExchangeLog(protocolName: "HTTP/2", head: head, verification: established.verification,
                                     startedAt: stream.startedAt)
            stream.log?.entry.stream = stream.id
        }
        stream.headRequest = head.method == .HEAD
        let framing: RequestFraming
        switch RequestFraming.decide(method: head.method, headers: head.headers) {
        case .forward(let decided):
            framing = decided
        case .refuse(let refusal):
            return reject(stream, ProxyFailure(refusal: refusal, method: head.method), "request refused (\(refusal))")
        }
        // The target too: nghttp2 lets only origin form (or `*`) through as `:path`, and a
        // target naming a host would be checked here as HTTP/1.1's is, not trusted.
        switch HostBinding.decide(host: head.headers.first(name: "host"), uri: head.uri, version: .http1_1,
                                  selectedSite: established.site, sites: rules.sites) {
        case .forward:
            break
        case .misdirected(let other):
            return reject(stream, .misdirected(otherSite: other), ":authority names site \(other), not this connection's")
        case .badRequest:
            return reject(stream, .badHost, "missing or invalid :authority")
        }
        var forwarded = head
        let upstream = rules.upstreamHeaders(from: head.headers, context: requestContext, framing: framing,
                                             connection: &connectionLog)
        forwarded.headers = upstream.headers
        if let requestID = upstream.requestID { stream.log?.entry.requestID = requestID }
        stream.upstreamHead = forwarded
        if stream.log != nil { stream.log?.leaseStarted(upstream: connectionLog.upstreamName(site.upstream)) }
        lease(stream)
    }

    func reject(_ stream: HTTP2Stream, _ failure: ProxyFailure, _ reason: String) {
        logger.notice("\(reason); \(failure.status.code)", metadata: logMetadata.merging(["stream": "\(stream.id)"]) { $1 })
        perform(machine.reject(stream: stream.id, failure), stream: stream)
    }
}
