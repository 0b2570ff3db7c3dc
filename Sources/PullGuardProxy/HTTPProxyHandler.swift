import Logging
import NIOCore
import NIOHTTP1
import PullGuardCore
import PullGuardObservability
import PullGuardHTTP

/// The downstream side of the proxy: the last handler of a client connection,
/// after NIO's HTTP/1.1 request decoder. Responses leave as bytes, framed by
/// `HTTP1ResponseWriter` (`HTTPProxyHandler+Response.swift`).
///
/// An adapter: it turns NIO's events into events of `ProxyConnectionStateMachine` (the
/// connection, its pipelining queue) and its `ProxyExchangeStateMachine` (the request in
/// flight), and performs the actions they return; it holds the I/O resources (upstream
/// connection, slot, buffered parts, deadline values). Backpressure both ways:
/// client reads are held while the upstream is connecting or not writable, and
/// the upstream (autoRead off) is read only while the client is writable. At most
/// one read's worth of request parts is buffered, while the upstream connects.
package final class HTTPProxyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPServerRequestPart
    package typealias OutboundIn = ByteBuffer
    package typealias OutboundOut = ByteBuffer

    let settings: ProxySettings
    let pool: UpstreamPool
    let clientIP: String?
    let rules: ProxyRequestRules
    /// A handler in front (`TLSServerHandler`) sends pending writes when the channel
    /// is closed, so a closing response need not be flushed on its own first.
    let closeSendsPendingWrites: Bool
    let logger: Logger
    /// This connection's event loop's counters (no lock: see `PullGuardMetrics`).
    let counters: LoopCounters
    /// This configuration's per-site counters and the loop they count in (see `SiteMetricsTable`).
    let siteMetrics: SiteMetricsTable
    let loop: Int
    /// This loop's request-duration histogram, and when the exchange in flight started.
    let requestDuration: LoopHistogram?
    var exchangeStartedAt: NIODeadline?
    /// Each site's upstream cap, shared by all connections (`HTTPProxy`), by `SiteID.index`.
    let limits: [UpstreamConnectionLimit]
    /// This connection's site's cap, set with `site`.
    var siteLimit: UpstreamConnectionLimit?

    /// The access log of this connection's configuration (nil: off) and its request ids.
    var connectionLog: ConnectionLog
    let clientPort: Int?
    /// The exchange in flight's access-log entry (also with the log off, for the request id).
    var exchangeLog: ExchangeLog?

    var machine = ProxyConnectionStateMachine()
    var context: ChannelHandlerContext?
    /// Set by `TLSConnectionEstablished`.
    var tls: TLSConnectionEstablished?
    var site: ProxySiteSettings?
    /// Header rewrite inputs for this connection, built once from its verdict.
    var requestContext: HeaderPolicy.RequestContext?

    /// The request in flight, already rewritten for the upstream.
    var upstreamHead: HTTPRequestHead?
    var requestVersion: HTTPVersion = .http1_1
    /// The method of the request the next final response answers: set with its head,
    /// cleared when that response's head is written (`HTTPProxyHandler+Response.swift`).
    var requestMethod: HTTPMethod?
    /// Frames the responses on this connection.
    var responseWriter = HTTP1ResponseWriter()
    /// Request parts that arrived while the upstream was connecting.
    var buffered: [HTTPClientRequestPart] = []
    var upstream: UpstreamConnection?
    /// The request in flight is an upgrade request (`Connection: upgrade` + `Upgrade`).
    var upgradeRequested = false
    /// NIO's request decoder parses nothing more (it read a whole upgrade request):
    /// client reads are held until the codec is replaced or the tunnel starts.
    var decoderStopped = false
    /// The site's upstream slot held by the exchange in flight
    /// (`limits.max_upstream_connections_per_site`), or a wait for one.
    var upstreamSlot: UpstreamSlot?

    /// `replayPipelined` is running (an answered request can end inside it).
    var replayingPipelined = false
    /// The current client read delivered request parts (`clientBytesRead`).
    var readDeliveredParts = false
    /// A client read was held back for backpressure.
    var clientReadPending = false
    /// An upstream read was held back because the client was not writable.
    var upstreamReadPending = false

    /// When a keep-alive connection with no request in flight is closed.
    var idleDeadline: NIODeadline?
    /// When an upstream that has not started its response gets a 504.
    var responseDeadline: NIODeadline?
    /// When a request head that has not arrived whole closes the connection (`client_header`).
    var headerDeadline: NIODeadline?
    /// When a request body that stopped arriving gets 408 (`client_body`).
    var bodyDeadline: NIODeadline?
    /// When a client that stopped taking bytes (channel not writable) is closed (`client_send`).
    var sendDeadline: NIODeadline?
    /// The one timer behind all deadlines (`HTTPProxyHandler+Deadlines.swift`).
    /// When a request waiting for an upstream slot gets 503 (`upstream_connect`).
    var slotDeadline: NIODeadline?
    var deadlineTimer: Scheduled<Void>?
    var deadlineTimerFiresAt: NIODeadline?

    init(settings: ProxySettings, sites: SiteTable, pool: UpstreamPool, clientIP: String?, clientPort: Int? = nil,
         closeSendsPendingWrites: Bool = false,
         rules: ProxyRequestRules? = nil, limits: [UpstreamConnectionLimit] = [],
         logger: Logger, counters: LoopCounters, siteMetrics: SiteMetricsTable = .empty, loop: Int = 0,
         requestDuration: LoopHistogram? = nil, accessLog: AccessLog? = nil) {
        connectionLog = ConnectionLog(log: accessLog)
        self.clientPort = clientPort
        self.limits = limits
        self.siteMetrics = siteMetrics
        self.loop = loop
        self.requestDuration = requestDuration
        self.closeSendsPendingWrites = closeSendsPendingWrites
        self.rules = rules ?? ProxyRequestRules(settings: settings, sites: sites)
        self.counters = counters
        self.settings = settings
        self.pool = pool
        self.clientIP = clientIP
        self.logger = logger
    }

    /// The connection's log metadata, built only when something is logged: setting
    /// a logger's metadata re-renders it (swift-log's stream handler), which cost
    /// ~4 µs per connection when done up front.
    var logMetadata: Logger.Metadata {
        var metadata: Logger.Metadata = ["client": "\(clientIP ?? "unknown")"]
        if let tls { metadata["site"] = "\(tls.siteName)" }
        if let site { metadata["upstream"] = "\(site.upstream)" }
        return metadata
    }

    package func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    package func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimers()
        self.context = nil
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let established = event as? TLSConnectionEstablished {
            tls = established
            // The site SNI chose, by identity: an index into this configuration's sites.
            site = rules.sites.site(established.site)?.proxy
            siteLimit = limits.limit(for: established.site)
            requestContext = HeaderPolicy.RequestContext(
                clientIP: clientIP, verification: established.verification, names: settings.headers, spoofable: rules.spoofable)
            connectionLog.connect(established, clientAddress: clientIP, clientPort: clientPort)
            perform(machine.handshakeCompleted())
            return
        }
        if event is ConnectionDrain {
            perform(machine.drain(headInProgress: headerDeadline != nil))
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        readDeliveredParts = true
        let part = unwrapInboundIn(data)
        if machine.queueIfWaiting(.part(part)) { return }
        handle(part)
    }

    func malformedRequest(_ reason: String) {
        logger.notice("malformed request; 400", metadata: logMetadata.merging(["error": "\(reason)"]) { $1 })
        perform(machine.malformedRequest(reason))
    }

    /// One request part, in its turn.
    func handle(_ part: HTTPServerRequestPart) {
        switch part {
        case .head(let head):
            requestVersion = head.version
            requestMethod = head.method
            let request = ProxyConnectionStateMachine.RequestHead(head)
            upgradeRequested = request.upgrade != .none
            let action = machine.requestHead(request)
            if case .closeDownstream = action {
                logger.warning("request before the TLS handshake was reported; closing", metadata: logMetadata)
            }
            perform(action)
            if case .startExchange = action {
                exchangeStartedAt = .now()
                startExchange(head, request)
            }
        case .body(let bytes):
            exchangeLog?.bodyIn(bytes.readableBytes)
            perform(machine.requestBodyPart(), part: .body(.byteBuffer(bytes)))
        case .end:
            bodyDeadline = nil
            if upgradeRequested { decoderStopped = true }
            // Request trailers are dropped, as nginx does: they would reach the upstream
            // past anti-spoofing and hop-by-hop removal (`X-Client-Verify` in a trailer).
            perform(machine.requestEnd(), part: .end(nil))
        }
    }

    package func channelReadComplete(context: ChannelHandlerContext) {
        upstream?.flush()
        clientBytesRead()
        context.fireChannelReadComplete()
    }

    package func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        clientWritabilityChanged(writable)
        if writable, upstreamReadPending {
            upstreamReadPending = false
            upstream?.read()
        }
        context.fireChannelWritabilityChanged()
    }

    package func channelInactive(context: ChannelHandlerContext) {
        writeExchangeLog()
        perform(machine.downstreamClosed())
        cancelTimers()
        context.fireChannelInactive()
    }

    package func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let parseError = error as? HTTPParserError {
            // Answered here rather than by NIO's HTTPServerProtocolErrorHandler (one
            // handler fewer on every connection), after the responses to any earlier
            // pipelined requests.
            let reason = "\(parseError)"
            if !machine.queueIfWaiting(.malformed(reason)) { malformedRequest(reason) }
            return
        }
        logger.debug("client connection error: \(error)", metadata: logMetadata)
        writeExchangeLog()
        perform(machine.downstreamClosed())
        context.close(promise: nil)
    }

    /// Client reads wait while the upstream cannot take more request bytes.
    package func read(context: ChannelHandlerContext) {
        if holdsClientReads {
            clientReadPending = true
        } else {
            context.read()
        }
    }

    var holdsClientReads: Bool {
        if !machine.pipelined.isEmpty || decoderStopped { return true }
        guard case .exchange(let exchange) = machine.state else { return false }
        switch exchange.upstream {
        case .waitingForSlot, .connecting: return true
        case .connected: return !(upstream?.isWritable ?? true)
        case .gone: return false
        }
    }

    func resumeClientReadsIfPossible() {
        guard clientReadPending, !holdsClientReads, let context else { return }
        clientReadPending = false
        clientReadsResumed()
        context.read()
    }

    private func startExchange(_ head: HTTPRequestHead, _ request: ProxyConnectionStateMachine.RequestHead) {
        // The site's ID only, not the whole event: binding `tls` copied its strings on every request.
        guard let selectedSite = tls?.site, let site, let requestContext else {
            // The TLS layer selected a site the proxy does not know: fail closed.
            logger.error("no proxy settings for the TLS-selected site; closing", metadata: logMetadata)
            perform(.closeDownstream)
            return
        }
        if connectionLog.log != nil, let verification = tls?.verification {
            exchangeLog = ExchangeLog(protocolName: head.version.minor == 0 ? "HTTP/1.0" : "HTTP/1.1",
                                      head: head, verification: verification, startedAt: exchangeStartedAt ?? .now())
        }
        let framing: RequestFraming
        switch RequestFraming.decide(method: head.method, headers: head.headers) {
        case .forward(let decided):
            framing = decided
        case .refuse(let refusal):
            let failure = ProxyFailure(refusal: refusal, method: head.method)
            logger.notice("request refused (\(refusal)); \(failure.status.code)",
                          metadata: logMetadata.merging(["method": "\(head.method)"]) { $1 })
            perform(machine.reject(failure))
            return
        }
        let decision = HostBinding.decide(hostHeaders: head.headers["host"], uri: head.uri, version: head.version,
                                          selectedSite: selectedSite, sites: rules.sites)
        switch decision {
        case .forward:
            break
        case .misdirected(let other):
            logger.notice("Host names site \(other), not this connection's; 421", metadata: logMetadata.merging(["uri": "\(head.uri)"]) { $1 })
            perform(machine.reject(.misdirected(otherSite: other)))
            return
        case .badRequest:
            logger.notice("missing or invalid Host; 400", metadata: logMetadata.merging(["uri": "\(head.uri)"]) { $1 })
            perform(machine.reject(.badHost))
            return
        }
        var forwarded = head
        forwarded.version = .http1_1
        let upstream = rules.upstreamHeaders(from: head.headers, context: requestContext, framing: framing,
                                             connection: &connectionLog)
        forwarded.headers = upstream.headers
        if let requestID = upstream.requestID { exchangeLog?.entry.requestID = requestID }
        // PullGuard answers `Expect: 100-continue` itself once the upstream is connected
        // (`sendBufferedRequest`); an upstream's own 100 would otherwise be read as the response.
        if request.expectsContinue { forwarded.headers.remove(name: "expect") }
        // The hop-by-hop rewrite removed `Upgrade` and `Connection`; only a WebSocket
        // upgrade goes on; any other one is only removed, and the request is served as a plain one.
        if request.upgrade == .websocket {
            forwarded.headers.add(name: "Connection", value: "Upgrade")
            forwarded.headers.add(name: "Upgrade", value: "websocket")
        }
        upstreamHead = forwarded
        buffered.removeAll()
        if exchangeLog != nil { exchangeLog?.leaseStarted(upstream: connectionLog.upstreamName(site.upstream)) }
        leaseUpstream(site: site)
    }

    /// Writes the access-log line of the exchange that just ended (nothing when none runs).
    func writeExchangeLog() {
        guard let exchange = exchangeLog else { return }
        exchangeLog = nil
        connectionLog.write(exchange, counters: counters)
    }
}
