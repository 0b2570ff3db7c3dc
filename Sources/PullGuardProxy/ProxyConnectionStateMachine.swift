import NIOCore
import NIOHTTP1

/// The life of one downstream (client) connection in the proxy, as a value.
///
/// `HTTPProxyHandler` feeds it every event (TLS established, request parts,
/// upstream connected or failed, response parts, timers, close) and performs the
/// action it returns. One exchange at a time (`ProxyExchangeStateMachine`): the
/// connection queues what arrives while a response is pending (`pipelined`) and hands
/// it on in order once the exchange before it is over.
///
/// The connection's phases: `awaitingHandshake` (TLS not yet established), `idle`
/// (reading a next request head under `client_idle`/`client_header`), `exchange` (one
/// request; it drains a refused request's body when the exchange says `drainRequest`),
/// `tunnel`, and `closed` (closing: events ignored, the queue dropped).
///
/// Invariants: a response head reaches the client at most once per request; the
/// connection is closed whenever the two HTTP framings could disagree (upstream
/// died mid-response, response ended before the request body, malformed input);
/// nothing is forwarded before the TLS layer said who the client is (fail closed).
package struct ProxyConnectionStateMachine {
    enum State: Equatable {
        /// Connected, but `TLSConnectionEstablished` has not arrived: any request closes.
        case awaitingHandshake
        /// Between requests; the idle timer runs.
        case idle
        /// One request is in progress.
        case exchange(Exchange)
        /// The upstream accepted a WebSocket upgrade: the connection is a byte tunnel
        /// (`TunnelHandler`) and HTTP events are ignored.
        case tunnel
        /// Closing or closed: events are ignored.
        case closed
    }

    typealias Exchange = ProxyExchangeStateMachine
    typealias RequestHead = ProxyExchangeStateMachine.RequestHead
    typealias Upgrade = ProxyExchangeStateMachine.Upgrade
    typealias After = ProxyExchangeStateMachine.After
    typealias UpstreamDisposal = ProxyExchangeStateMachine.UpstreamDisposal

    enum Action: Equatable {
        case none
        case armIdleTimer
        /// Close the client connection (and drop any upstream connection).
        case closeDownstream
        /// Close the client connection now, without waiting for pending writes (the TLS
        /// close_notify included) that a client which stopped reading would never take.
        case abortDownstream
        /// A request head was accepted: stop the idle timer, check Host, lease an upstream.
        case startExchange
        /// What the exchange asks for, carried out as it is (its `.none` and
        /// `.closeDownstream` arrive as the connection's own).
        case exchange(Exchange.Action)
    }

    /// Which client clock runs now (`HTTPProxyHandler+Deadlines.swift`).
    enum ClientClock: Equatable {
        /// Waiting for (the rest of) a request head: `client_header`.
        case header
        /// Reading a request body: `client_body`.
        case body
        case none
    }

    var clientClock: ClientClock {
        switch state {
        case .idle: return .header
        case .exchange(let exchange): return exchange.requestComplete ? .none : .body
        case .awaitingHandshake, .tunnel, .closed: return .none
        }
    }

    /// What the end of a client read does to the client clocks.
    enum ClockAfterRead: Equatable {
        case none
        /// A head is arriving in pieces: start `client_header` (once per head).
        case startHeader
        /// A body is arriving: the client gets a full `client_body` period again.
        case restartBody
    }

    /// A client read ended.
    /// - `deliveredParts`: the read delivered at least one request part. A read that
    ///   delivered a whole request answered at once (421, 400) leaves the connection idle,
    ///   not mid-head: only a read that delivered nothing means a head arrives in pieces.
    ///   (Bytes of a next head behind a whole request stay under `client_idle`.)
    /// - `readsHeld`: PullGuard stopped reading (the upstream is slow to take the body, or
    ///   a pipelined request waits): the client is not the one who is slow.
    /// - `headerClockRunning`: `client_header` runs already; it is not restarted, so a head
    ///   sent a byte at a time cannot keep the connection forever.
    func clockAfterRead(deliveredParts: Bool, readsHeld: Bool, headerClockRunning: Bool) -> ClockAfterRead {
        switch clientClock {
        case .header: return headerClockRunning || deliveredParts ? .none : .startHeader
        case .body: return readsHeld ? .none : .restartBody
        case .none: return .none
        }
    }

    private(set) var state: State = .awaitingHandshake {
        didSet {
            // A closing connection serves no queued request.
            if case .closed = state, !pipelined.isEmpty { pipelined.removeAll() }
        }
    }

    /// What arrived while a response was pending, in order: parts of pipelined
    /// requests, or the decoder's verdict that the bytes after them were malformed.
    /// Bounded: the handler stops client reads while it is not empty
    /// (`HTTPProxyHandler.holdsClientReads`), so it holds at most one read's worth.
    private(set) var pipelined: CircularBuffer<PipelinedInput> = []

    enum PipelinedInput {
        case part(HTTPServerRequestPart)
        case malformed(String)
    }

    /// A reload replaced this connection's configuration, or the process is stopping:
    /// the connection serves at most the request in flight (or, before the handshake
    /// ended, one request), answered with `Connection: close`.
    private(set) var draining = false
    /// No request head arrived yet. Such a connection is not an idle keep-alive one: its
    /// client has just finished the handshake to send a request, which is likely on the wire.
    private(set) var awaitingFirstRequest = true

    init() {}

    /// Starts draining (`ConnectionDrain`). An idle keep-alive connection closes at once, as
    /// nginx's reload closes them; a connection that has not had its first request yet, or
    /// whose client is part-way through a head (`headInProgress`), or has a pipelined
    /// request waiting, is answered first (with `Connection: close`).
    mutating func drain(headInProgress: Bool) -> Action {
        draining = true
        switch state {
        case .idle:
            guard !awaitingFirstRequest, !headInProgress, pipelined.isEmpty else { return .none }
            state = .closed
            return .closeDownstream
        case .exchange(var exchange):
            exchange.closeAfterResponse()
            state = .exchange(exchange)
            return .none
        case .awaitingHandshake, .tunnel, .closed:
            // A tunnel ends with its peers or at `drain_timeout`.
            return .none
        }
    }

    /// The request in flight is complete and its response is not: a request read now
    /// is pipelined and must wait.
    var awaitsResponseToCompleteRequest: Bool {
        guard case .exchange(let exchange) = state else { return false }
        return exchange.requestComplete && exchange.response != .complete
    }

    /// Input read now belongs to a pipelined request: an earlier response is pending,
    /// or earlier pipelined input is still waiting.
    var waitsForEarlierResponse: Bool {
        !pipelined.isEmpty || awaitsResponseToCompleteRequest
    }

    /// Input read from the client: queued (true) when it must wait for an earlier
    /// response, otherwise (false) to be handled now.
    mutating func queueIfWaiting(_ input: PipelinedInput) -> Bool {
        guard waitsForEarlierResponse else { return false }
        pipelined.append(input)
        return true
    }

    /// The next queued input, in order, once nothing before it is pending; nil when
    /// the queue is empty or has to wait again.
    mutating func nextPipelined() -> PipelinedInput? {
        guard !pipelined.isEmpty, !awaitsResponseToCompleteRequest else { return nil }
        if case .closed = state { return nil }
        return pipelined.removeFirst()
    }

    mutating func handshakeCompleted() -> Action {
        guard case .awaitingHandshake = state else { return .none }
        state = .idle
        return .armIdleTimer
    }

    mutating func requestHead(keepAlive: Bool) -> Action {
        requestHead(RequestHead(keepAlive: keepAlive))
    }

    mutating func requestHead(_ head: RequestHead) -> Action {
        guard case .idle = state else {
            // Before the handshake event (fail closed), or a second head mid-exchange.
            state = .closed
            return .closeDownstream
        }
        awaitingFirstRequest = false
        var head = head
        if draining { head.keepAlive = false }
        state = .exchange(Exchange(head))
        return .startExchange
    }

    /// The proxy answers the request itself (421, 400) instead of forwarding it.
    mutating func reject(_ failure: ProxyFailure) -> Action {
        guard case .exchange(var exchange) = state else { return .none }
        let action = exchange.reject(failure)
        return settle(exchange, action)
    }

    mutating func requestBodyPart() -> Action {
        guard case .exchange(var exchange) = state else { return .none }
        let action = exchange.requestBodyPart()
        return settle(exchange, action)
    }

    mutating func requestEnd() -> Action {
        guard case .exchange(var exchange) = state else { return .none }
        let action = exchange.requestEnd()
        return settle(exchange, action)
    }

    /// The site's cap is reached: the exchange in flight waits for a slot.
    mutating func slotBusy() -> Action {
        guard case .exchange(var exchange) = state else { return .none }
        let action = exchange.slotBusy()
        return settle(exchange, action)
    }

    /// A slot under the site's cap was handed to this connection.
    mutating func slotGranted() -> Action {
        guard case .exchange(var exchange) = state else { return .exchange(.releaseSlot) }
        let action = exchange.slotGranted()
        return settle(exchange, action)
    }

    /// No slot came within `upstream_connect`.
    mutating func slotWaitTimedOut(limit: Int, waited: TimeAmount) -> Action {
        guard case .exchange(var exchange) = state else { return .none }
        let action = exchange.slotWaitTimedOut(limit: limit, waited: waited)
        return settle(exchange, action)
    }

    mutating func upstreamConnected() -> Action {
        guard case .exchange(var exchange) = state else { return .exchange(.abandonUpstream) }
        let action = exchange.upstreamConnected()
        return settle(exchange, action)
    }

    /// Connect failure, response timeout, or the upstream closed/failed.
    mutating func upstreamFailed(_ failure: ProxyFailure) -> Action {
        guard case .exchange(var exchange) = state else { return .none }
        let action = exchange.upstreamFailed(failure)
        return settle(exchange, action)
    }

    /// `closeDelimited`: the response has no length and the client cannot take
    /// chunked (HTTP/1.0), so its end is the connection's close.
    /// A plain response from an upstream that keeps its connection open.
    mutating func responseHead(closeDelimited: Bool) -> Action {
        responseHead(closeDelimited: closeDelimited, switchingProtocols: false, upstreamKeepAlive: true)
    }

    /// `switchingProtocols`, `upstreamKeepAlive`: see `ProxyExchangeStateMachine.responseHead`.
    mutating func responseHead(closeDelimited: Bool, switchingProtocols: Bool, upstreamKeepAlive: Bool) -> Action {
        guard case .exchange(var exchange) = state else { return .none }
        let action = exchange.responseHead(closeDelimited: closeDelimited, switchingProtocols: switchingProtocols,
                                           upstreamKeepAlive: upstreamKeepAlive)
        return settle(exchange, action)
    }

    mutating func responseBodyPart() -> Action {
        guard case .exchange(var exchange) = state else { return .none }
        let action = exchange.responseBodyPart()
        return settle(exchange, action)
    }

    mutating func responseEnd() -> Action {
        guard case .exchange(var exchange) = state else { return .none }
        let action = exchange.responseEnd()
        return settle(exchange, action)
    }

    mutating func idleTimedOut() -> Action {
        guard case .idle = state else { return .none }
        state = .closed
        return .closeDownstream
    }

    /// `client_header` passed before a whole request head arrived. Closed without a
    /// response, as nginx does: the client may not be waiting for one, and a stray
    /// 408 would be read as the answer to its next request.
    mutating func headerTimedOut() -> Action {
        guard case .idle = state else { return .none }
        state = .closed
        return .closeDownstream
    }

    /// `client_body` passed with no body bytes while PullGuard wanted more: 408 when
    /// no response has started, otherwise just the close.
    mutating func bodyTimedOut(_ limit: TimeAmount) -> Action {
        guard case .exchange(var exchange) = state else { return .none }
        let action = exchange.bodyTimedOut(limit)
        return settle(exchange, action)
    }

    /// `client_send` passed while the client did not take what was written to it.
    mutating func sendTimedOut() -> Action {
        abort()
    }

    /// Something the proxy cannot recover from (a pipeline change failed): close now.
    mutating func abort() -> Action {
        state = .closed
        return .abortDownstream
    }

    /// The request bytes did not parse. Answered with 400 and closed, unless a
    /// response is already under way, in which case the connection is just closed:
    /// after malformed input the two sides' framing can no longer be trusted.
    mutating func malformedRequest(_ reason: String) -> Action {
        switch state {
        case .idle:
            state = .closed
            return .exchange(.respondWithFailure(.malformedRequest(reason), then: .close))
        case .exchange(var exchange):
            let action = exchange.malformedRequest(reason)
            state = .closed
            return Action(action)
        case .awaitingHandshake, .tunnel, .closed:
            state = .closed
            return .closeDownstream
        }
    }

    /// The client connection closed or errored.
    mutating func downstreamClosed() -> Action {
        defer { state = .closed }
        if case .exchange(let exchange) = state, exchange.upstream != .gone { return .exchange(.abandonUpstream) }
        return .none
    }

    /// Stores the exchange after one of its events, or ends it as its action says.
    private mutating func settle(_ exchange: Exchange, _ action: Exchange.Action) -> Action {
        switch action.ending {
        case nil: state = .exchange(exchange)
        case .keepAlive: state = .idle
        case .close: state = .closed
        case .tunnel: state = .tunnel
        }
        return Action(action)
    }
}

extension ProxyConnectionStateMachine.Action {
    /// The connection carries out its exchange's action as it is.
    init(_ action: ProxyExchangeStateMachine.Action) {
        switch action {
        case .none: self = .none
        case .closeDownstream: self = .closeDownstream
        default: self = .exchange(action)
        }
    }
}
