import Foundation
import NIOCore
import NIOHTTP1
import PullGuardTooling

/// Drives one connection: waits for the TLS handshake, sends the requests one
/// after another, checks each response's status, reports the outcome to its
/// worker exactly once, then closes.
///
/// Success means every response arrived with the expected status: with TLS 1.3
/// a refused client certificate only shows as an alert on the first read.
final class BenchConnectionHandler: ChannelInboundHandler, RemovableChannelHandler, BenchConnectionDriver {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let worker: BenchWorker
    let tls: TLSClientHandler
    private let plan: ConnectionPlan
    private var handshakeDone = false
    private var resumed = false
    private var requestsDone = 0
    private var requestStart = NIODeadline.uptimeNanoseconds(0)
    private var status = 0
    /// The response in progress said `Connection: close`.
    private var serverCloses = false
    /// Bytes of the current request's response have arrived (its head).
    private var responseStarted = false
    private var reported = false
    private var timeoutTask: Scheduled<Void>?

    init(worker: BenchWorker, tls: TLSClientHandler, plan: ConnectionPlan) {
        self.worker = worker
        self.tls = tls
        self.plan = plan
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let target = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        let deadline = plan.start + .nanoseconds(Int64(worker.options.timeoutSeconds * 1_000_000_000))
        timeoutTask = context.eventLoop.scheduleTask(deadline: deadline) {
            target.value.handler.fail(.timeout, context: target.value.context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timeoutTask?.cancel()
        // Never connected (refused) or closed without any event that said why.
        report(.failure(handshakeDone ? .tls(reason: "closed_before_response") : .connect))
    }

    /// The bootstrap's connect failed; if the pipeline saw no event, this is a connect error.
    func connectFailed(_ error: Error) {
        report(.failure(Self.classify(error, handshakeDone: false)))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let completed = event as? TLSClientHandshakeCompleted {
            handshakeDone = true
            resumed = completed.resumed
            sendRequest(context: context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            responseStarted = true
            serverCloses = !head.isKeepAlive
        case .body:
            break
        case .end:
            responseEnded(context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A reset instead of a close_notify, between requests: the same idle close.
        if endedBetweenRequests, let io = error as? IOError, io.errnoCode == ECONNRESET || io.errnoCode == EPIPE {
            report(.endedByServer(resumed: resumed))
            context.close(promise: nil)
            return
        }
        fail(Self.classify(error, handshakeDone: handshakeDone), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if endedBetweenRequests { return report(.endedByServer(resumed: resumed)) }
        fail(handshakeDone ? .tls(reason: "closed_before_response") : .connect, context: context)
    }

    /// The server closed an idle keep-alive connection: at least one response was complete
    /// and no byte of the next one arrived, so the request in flight was never processed.
    private var endedBetweenRequests: Bool {
        requestsDone > 0 && !responseStarted
    }

    private func responseEnded(context: ChannelHandlerContext) {
        guard !reported else { return }
        guard status == worker.options.expectStatus else {
            fail(.httpStatus(status), context: context)
            return
        }
        requestsDone += 1
        worker.requestCompleted(plan, startedAt: requestStart)
        if serverCloses && requestsDone < worker.options.requestsPerConnection {
            report(.endedByServer(resumed: resumed))
            context.close(promise: nil)
        } else if requestsDone == worker.options.requestsPerConnection {
            // Resume mode keeps the session (TLS 1.3 tickets arrived before the response).
            let session = worker.options.mode == .resume ? tls.session() : nil
            report(.success(resumed: resumed, session: session))
            context.close(promise: nil)
        } else if worker.stopping {
            report(.abandoned)
            context.close(promise: nil)
        } else {
            sendRequest(context: context)
        }
    }

    private func sendRequest(context: ChannelHandlerContext) {
        status = 0
        responseStarted = false
        requestStart = .now()
        let last = requestsDone + 1 == worker.options.requestsPerConnection
        context.write(wrapOutboundOut(.head(last ? worker.lastHead : worker.keepAliveHead)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    private func fail(_ errorClass: BenchErrorClass, context: ChannelHandlerContext) {
        guard !reported else { return }
        report(.failure(errorClass))
        context.close(promise: nil)
    }

    private func report(_ outcome: ConnectionOutcome) {
        guard !reported else { return }
        reported = true
        timeoutTask?.cancel()
        worker.connectionFinished(plan, outcome)
    }

    /// Maps what the pipeline raised to an error class: TLS errors by alert or reason,
    /// socket errors before the handshake as `connect`.
    static func classify(_ error: Error, handshakeDone: Bool) -> BenchErrorClass {
        if let tls = error as? TLSClientError { return .tls(tls) }
        if let channel = error as? ChannelError, case .connectTimeout = channel { return .timeout }
        if error is HTTPParserError { return .tls(reason: "bad_http_response") }
        if !handshakeDone { return .connect }
        if let io = error as? IOError {
            return .tls(reason: io.errnoCode == ECONNRESET ? "connection_reset" : "io_error_\(io.errnoCode)")
        }
        return .tls(reason: "closed_before_response")
    }
}
