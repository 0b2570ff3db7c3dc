import Foundation
import NIOCore
import PullGuardHTTP2
import PullGuardTooling

/// Drives one `--http 2` connection: after the TLS handshake (which must have selected
/// `h2` by ALPN) it keeps `--streams` requests in flight until `--requests-per-connection`
/// have been answered, then sends GOAWAY(NO_ERROR) and closes. Reports the outcome to its
/// worker exactly once, like `BenchConnectionHandler` does for HTTP/1.1.
///
/// nghttp2 frames the bytes (`NGHTTP2ClientSession`, fed from memory); the decisions are
/// `BenchHTTP2Machine`'s; this class only carries events from one to the other and moves
/// bytes. Events are handled after nghttp2 returned, never from inside its callbacks.
final class BenchHTTP2ConnectionHandler: ChannelInboundHandler, RemovableChannelHandler, BenchConnectionDriver {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let worker: BenchWorker
    let tls: TLSClientHandler
    private let plan: ConnectionPlan
    private var machine: BenchHTTP2Machine
    private var session: NGHTTP2ClientSession?
    private var handshakeDone = false
    private var resumed = false
    private var reported = false
    /// The outcome is reported; GOAWAY is queued and the connection closes once it is written.
    private var ending = false
    private var timeoutTask: Scheduled<Void>?

    init(worker: BenchWorker, tls: TLSClientHandler, plan: ConnectionPlan) {
        self.worker = worker
        self.tls = tls
        self.plan = plan
        machine = BenchHTTP2Machine(streams: worker.options.streams, requests: worker.options.requestsPerConnection,
                                    expectStatus: worker.options.expectStatus)
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
        report(.failure(handshakeDone ? .tls(reason: "closed_before_response") : .connect))
    }

    func connectFailed(_ error: Error) {
        report(.failure(BenchConnectionHandler.classify(error, handshakeDone: false)))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let completed = event as? TLSClientHandshakeCompleted else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        handshakeDone = true
        resumed = completed.resumed
        guard completed.alpn == NGHTTP2Library.alpnToken else {
            fail(.h2NotNegotiated(selected: completed.alpn), context: context)
            return
        }
        do {
            session = try NGHTTP2ClientSession()
        } catch {
            fail(.h2(reason: error.token), context: context)
            return
        }
        perform(machine.start())
        flush(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session, !reported else { return }
        let buffer = unwrapInboundIn(data)
        let result = buffer.withUnsafeReadableBytes { session.receive($0) }
        switch result {
        case .success(let events):
            handle(events)
        case .failure(let error):
            // nghttp2 queued a GOAWAY naming the problem when it could: send it, then close.
            end(.failure(.h2(reason: error.token)))
        }
        flush(context: context)
        // nghttp2 ended the session itself (a protocol error by the server, answered with
        // GOAWAY) without closing the open streams: without this the connection would hang.
        if !reported && !session.wantsRead && !session.wantsWrite {
            if machine.goAwayLastStreamID == nil {
                end(.failure(.h2(reason: "session_terminated")))
            } else {
                perform(machine.connectionClosed())
            }
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A reset right after the server's GOAWAY is how some servers close; the machine
        // decides whether every processed stream was answered.
        if machine.goAwayLastStreamID != nil, let io = error as? IOError, io.errnoCode == ECONNRESET || io.errnoCode == EPIPE {
            perform(machine.connectionClosed())
            context.close(promise: nil)
            return
        }
        fail(BenchConnectionHandler.classify(error, handshakeDone: handshakeDone), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        guard handshakeDone, session != nil else {
            fail(handshakeDone ? .tls(reason: "closed_before_response") : .connect, context: context)
            return
        }
        perform(machine.connectionClosed())
    }

    /// Feeds nghttp2's events to the machine, in order, until it finishes.
    private func handle(_ events: [NGHTTP2ClientEvent]) {
        for event in events {
            if reported { return }
            switch event {
            case .status(let streamID, let code):
                machine.status(streamID: streamID, code: code)
            case .data, .endStream:
                break
            case .reset(let streamID, let errorCode):
                perform(machine.reset(streamID: streamID, errorCode: errorCode))
            case .goAway(let lastStreamID, let errorCode):
                perform(machine.goAway(lastStreamID: lastStreamID, errorCode: errorCode))
            case .streamClosed(let streamID, let errorCode):
                let now = NIODeadline.now().uptimeNanoseconds
                let (latency, action) = machine.streamClosed(streamID: streamID, errorCode: errorCode, at: now)
                if let latency { worker.requestCompleted(plan, latencyNanoseconds: latency) }
                perform(action)
            case .notSent(let streamID, _):
                perform(machine.notSent(streamID: streamID))
            }
        }
    }

    private func perform(_ action: BenchHTTP2Machine.Action) {
        switch action {
        case .none:
            break
        case .submit(let count):
            // The run is over: what is in flight no longer counts (HTTP/1.1 does the same).
            if worker.stopping { return end(.abandoned) }
            guard let session else { return }
            for _ in 0..<count {
                do {
                    let streamID = try session.submit(worker.http2Request)
                    machine.submitted(streamID: streamID, at: NIODeadline.now().uptimeNanoseconds)
                } catch {
                    return end(.failure(.h2(reason: error.token)))
                }
            }
        case .finish(.completed):
            end(.success(resumed: resumed, session: nil))
        case .finish(.endedByServer):
            end(.endedByServer(resumed: resumed))
        case .finish(.failed(let errorClass)):
            end(.failure(errorClass))
        }
    }

    /// Reports the outcome and queues GOAWAY(NO_ERROR); `flush` closes once it is written.
    private func end(_ outcome: ConnectionOutcome) {
        report(outcome)
        guard !ending else { return }
        ending = true
        session?.terminate()
    }

    /// Writes what nghttp2 queued; closes after the last write once the connection is ending.
    private func flush(context: ChannelHandlerContext) {
        guard let session else { return }
        while true {
            switch session.takeOutbound() {
            case .failure(let error):
                end(.failure(.h2(reason: error.token)))
                context.close(promise: nil)
                return
            case .success(let (bytes, events)):
                if !bytes.isEmpty {
                    context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
                }
                // A request nghttp2 refused to send may open another; loop until nothing is queued.
                if events.isEmpty || ending {
                    context.flush()
                    if ending { context.close(promise: nil) }
                    return
                }
                handle(events)
            }
        }
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
}
