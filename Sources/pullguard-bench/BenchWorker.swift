import NIOCore
import NIOHTTP1
import NIOPosix
import PullGuardHTTP2
import PullGuardTooling
import PullGuardOpenSSL

/// What the worker needs from a connection's driver, whichever HTTP version it speaks.
protocol BenchConnectionDriver: ChannelHandler {
    var tls: TLSClientHandler { get }
    /// The bootstrap's connect failed; reports once, unless the pipeline already did.
    func connectFailed(_ error: Error)
}

/// Runs one event loop's share of the concurrency: starts connections, hands
/// each to a `BenchConnectionHandler`, starts the next when one finishes, and
/// counts into its own `LoopStats`.
///
/// Each worker has its own `OpenSSLClientContext`: OpenSSL 3.0 takes shared
/// locks on library-wide objects, and a context per loop keeps the loops from
/// contending on one `SSL_CTX`.
final class BenchWorker: @unchecked Sendable {
    // `@unchecked Sendable`: every mutable property is touched on `loop` only; other
    // threads reach the worker through `loop.execute`/`loop.submit`.
    let loop: EventLoop
    let options: BenchOptions
    private let context: OpenSSLClientContext
    private let address: SocketAddress
    /// Connections this loop keeps in flight.
    private let slots: Int
    /// Counted connections this loop starts in `--connections` mode.
    private let quota: Int?
    private let done: EventLoopPromise<Void>
    let keepAliveHead: HTTPRequestHead
    /// The last request of a connection: `Connection: close` in full and resume mode.
    let lastHead: HTTPRequestHead
    /// `--http 2`: every stream's request (`:authority` is the SNI name or URL host, with the port).
    let http2Request: NGHTTP2ClientRequest

    private(set) var stats = LoopStats()
    private(set) var stopping = false
    private var recording = false
    private var started = 0
    private var inFlight = 0
    /// Resume mode: slots waiting for the first session before they start.
    private var parked = 0
    private var lastSession: OpenSSLClientSession?
    private var finished = false

    var finishedFuture: EventLoopFuture<Void> { done.futureResult }

    init(loop: EventLoop, options: BenchOptions, settings: TLSClientSettings, address: SocketAddress,
         slots: Int, quota: Int?) throws {
        self.loop = loop
        self.options = options
        self.context = try OpenSSLClientContext(settings: settings)
        self.address = address
        self.slots = slots
        self.quota = quota
        self.done = loop.makePromise()
        var headers = HTTPHeaders([("Host", options.hostHeader), ("User-Agent", "pullguard-bench"), ("Connection", "keep-alive")])
        keepAliveHead = HTTPRequestHead(version: .http1_1, method: .GET, uri: options.url.path, headers: headers)
        if options.mode != .keepalive { headers.replaceOrAdd(name: "Connection", value: "close") }
        lastHead = HTTPRequestHead(version: .http1_1, method: .GET, uri: options.url.path, headers: headers)
        http2Request = NGHTTP2ClientRequest(authority: options.hostHeader, path: options.url.path,
                                            headers: [("user-agent", "pullguard-bench")])
    }

    /// Starts the slots. Resume mode starts one connection first, so every other
    /// connection can offer a session ("first one full").
    func start(recording: Bool) {
        loop.assertInEventLoop()
        self.recording = recording
        var launching = slots
        if options.mode == .resume && slots > 1 {
            parked = slots - 1
            launching = 1
        }
        for _ in 0..<launching { launch() }
        finishIfDone()
    }

    func startRecording() {
        recording = true
    }

    /// Duration mode's end: start nothing new; results finishing from now on are not counted.
    func stop() {
        stopping = true
        parked = 0
        finishIfDone()
    }

    private var mayStart: Bool {
        guard !stopping else { return false }
        guard let quota, recording else { return true }
        return started < quota
    }

    private func launch() {
        guard mayStart else { return }
        if recording { started += 1 }
        inFlight += 1
        let plan = ConnectionPlan(counted: recording, start: .now(),
                                  session: options.mode == .resume ? lastSession : nil)
        let worker = self
        let driver: any BenchConnectionDriver
        do {
            let tls = try TLSClientHandler(context: context, serverName: options.serverName, session: plan.session)
            switch options.http {
            case .http1_1: driver = BenchConnectionHandler(worker: worker, tls: tls, plan: plan)
            case .http2: driver = BenchHTTP2ConnectionHandler(worker: worker, tls: tls, plan: plan)
            }
        } catch {
            connectionFinished(plan, .failure(.tls(reason: "setup_failed")))
            return
        }
        // Created on this loop and used only on it: the bootstrap runs the initializer here.
        let handlers = NIOLoopBound(driver, eventLoop: loop)
        let http = options.http
        ClientBootstrap(group: loop)
            .connectTimeout(.nanoseconds(Int64(options.timeoutSeconds * 1_000_000_000)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let driver = handlers.value
                    switch http {
                    case .http1_1:
                        try channel.pipeline.syncOperations.addHandlers([
                            driver.tls,
                            HTTPRequestEncoder(),
                            ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)),
                            driver,
                        ])
                    case .http2:
                        // nghttp2 frames the plaintext itself: TLS below, the driver right above.
                        try channel.pipeline.syncOperations.addHandlers([driver.tls, driver])
                    }
                }
            }
            .connect(to: address)
            .whenFailure { error in
                // Reports once: the driver ignores this if it already finished (handlerRemoved).
                handlers.value.connectFailed(error)
            }
    }

    /// A counted request on a live connection got its expected response.
    func requestCompleted(_ plan: ConnectionPlan, startedAt start: NIODeadline) {
        guard plan.counted && !stopping else { return }
        stats.requestsOK += 1
        if options.mode == .keepalive { stats.recordLatency(nanoseconds: (NIODeadline.now() - start).nanoseconds) }
    }

    /// A counted HTTP/2 request (stream) got its expected response after `latency` nanoseconds.
    func requestCompleted(_ plan: ConnectionPlan, latencyNanoseconds latency: UInt64) {
        guard plan.counted && !stopping else { return }
        stats.requestsOK += 1
        stats.recordLatency(nanoseconds: Int64(clamping: latency))
    }

    func connectionFinished(_ plan: ConnectionPlan, _ outcome: ConnectionOutcome) {
        inFlight -= 1
        if plan.counted && !stopping {
            switch outcome {
            case .success(let resumed, _):
                stats.connectionsOK += 1
                if resumed { stats.connectionsResumed += 1 }
                if options.mode != .keepalive { stats.recordLatency(nanoseconds: (NIODeadline.now() - plan.start).nanoseconds) }
            case .endedByServer(let resumed):
                stats.connectionsOK += 1
                stats.connectionsEndedByServer += 1
                if resumed { stats.connectionsResumed += 1 }
            case .failure(let errorClass):
                stats.connectionsFailed += 1
                stats.errors[errorClass, default: 0] += 1
            case .abandoned:
                break
            }
        }
        if case .success(_, let session?) = outcome { lastSession = session }
        launch()
        if parked > 0 && lastSession != nil {
            let waiting = parked
            parked = 0
            for _ in 0..<waiting { launch() }
        }
        finishIfDone()
    }

    private func finishIfDone() {
        guard !finished, inFlight == 0, !mayStart else { return }
        finished = true
        done.succeed(())
    }
}
