import NIOCore

/// The life of one downstream (client) connection in the proxy, as a value.
///
/// `HTTPProxyHandler` feeds it every event (TLS established, request parts,
/// upstream connected or failed, response parts, timers, close) and performs the
/// action it returns. One exchange at a time: `HTTPProxyHandler` holds pipelined
/// requests back (`awaitsResponseToCompleteRequest`) until the previous response ended.
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

    /// Progress of the request in flight.
    struct Exchange: Equatable {
        enum Upstream: Equatable {
            /// Leasing or connecting; request parts wait in a small buffer (at
            /// most one read's worth, because reads stop meanwhile).
            case connecting
            /// Request parts go straight to the upstream.
            case connected
            /// No upstream (failed, rejected locally, or done); request parts are dropped.
            case gone
        }
        enum Response: Equatable {
            case awaitingHead
            case streaming
            /// Fully sent, by the upstream or by the proxy itself.
            case complete
        }
        var upstream: Upstream = .connecting
        var requestComplete = false
        var response: Response = .awaitingHead
        /// The client allows another request on this connection.
        var keepAlive: Bool
        /// `Expect: 100-continue` on an HTTP/1.1 request: the client may wait for
        /// `100 Continue` before it sends the body.
        var expectsContinue = false
        /// A WebSocket upgrade was forwarded: a `101` from the upstream turns the
        /// connection into a tunnel.
        var websocketUpgrade = false
    }

    /// What a request head asks for beyond a plain exchange.
    struct RequestHead: Equatable {
        var keepAlive: Bool
        /// `Expect: 100-continue` on HTTP/1.1.
        var expectsContinue = false
        /// `Connection: upgrade` with an `Upgrade` header. NIO's decoder stops parsing after
        /// such a request; `HTTPProxyHandler` replaces it once the response is out
        /// (`HTTPProxyHandler+CodecReset.swift`), unless the upgrade succeeded.
        var upgrade: Upgrade = .none
    }

    enum Upgrade: Equatable {
        case none
        /// `Upgrade: websocket`, forwarded.
        case websocket
        /// Any other protocol (h2c, TLS, ...): removed, not forwarded.
        case other
    }

    /// What happens to the downstream connection after a response.
    enum After: Equatable {
        /// Wait for the next request (arm the idle timer).
        case keepAlive
        /// Keep reading the rest of the request body, dropping it; the exchange
        /// ends at the request's end.
        case drainRequest
        case close
    }

    enum UpstreamDisposal: Equatable {
        /// The exchange ended cleanly: give the connection back to the pool.
        case release
        case close
    }

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
        case bufferRequestPart
        case writeRequestPart
        case dropRequestPart
        /// The upstream is connected: send the head and anything buffered; answer
        /// `100 Continue` first when the client waits for it.
        case sendBufferedRequest(sendContinue: Bool)
        /// The downstream is gone or the request was answered already: give the connection up.
        case abandonUpstream
        /// Answer with the failure's status and message; drop the upstream; then `After`.
        case respondWithFailure(ProxyFailure, then: After)
        /// Relay the head; `closeConnection` asks for `Connection: close` on it.
        case writeResponseHead(closeConnection: Bool)
        case writeResponsePart
        case writeResponseEnd(upstream: UpstreamDisposal, then: After)
        /// A request ended after its response was already complete.
        case completeExchange(then: After)
        /// The upstream answered a WebSocket upgrade with 101: relay the head, then
        /// turn both connections into a byte tunnel.
        case startTunnel
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

    private(set) var state: State = .awaitingHandshake

    init() {}

    /// The request in flight is complete and its response is not: a request read now
    /// is pipelined and must wait.
    var awaitsResponseToCompleteRequest: Bool {
        guard case .exchange(let exchange) = state else { return false }
        return exchange.requestComplete && exchange.response != .complete
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
        var exchange = Exchange(keepAlive: head.keepAlive)
        exchange.expectsContinue = head.expectsContinue
        exchange.websocketUpgrade = head.upgrade == .websocket
        state = .exchange(exchange)
        return .startExchange
    }

    /// The proxy answers the request itself (421, 400) instead of forwarding it.
    mutating func reject(_ failure: ProxyFailure) -> Action {
        fail(failure)
    }

    mutating func requestBodyPart() -> Action {
        guard case .exchange(let exchange) = state else { return .none }
        switch exchange.upstream {
        case .connecting: return .bufferRequestPart
        case .connected: return .writeRequestPart
        case .gone: return .dropRequestPart
        }
    }

    mutating func requestEnd() -> Action {
        guard case .exchange(var exchange) = state else { return .none }
        exchange.requestComplete = true
        if exchange.response == .complete {
            return finish(exchange.keepAlive ? .keepAlive : .close)
        }
        state = .exchange(exchange)
        switch exchange.upstream {
        case .connecting: return .bufferRequestPart
        case .connected: return .writeRequestPart
        case .gone: return .dropRequestPart
        }
    }

    mutating func upstreamConnected() -> Action {
        guard case .exchange(var exchange) = state, exchange.upstream == .connecting else { return .abandonUpstream }
        exchange.upstream = .connected
        let sendContinue = exchange.expectsContinue && !exchange.requestComplete
        exchange.expectsContinue = false
        state = .exchange(exchange)
        return .sendBufferedRequest(sendContinue: sendContinue)
    }

    /// Connect failure, response timeout, or the upstream closed/failed.
    mutating func upstreamFailed(_ failure: ProxyFailure) -> Action {
        guard case .exchange(let exchange) = state else { return .none }
        switch exchange.response {
        case .awaitingHead:
            return fail(failure)
        case .streaming:
            // Part of a response is out; the client can only learn of the failure by the close.
            state = .closed
            return .closeDownstream
        case .complete:
            return .none
        }
    }

    /// `closeDelimited`: the response has no length and the client cannot take
    /// chunked (HTTP/1.0), so its end is the connection's close.
    mutating func responseHead(closeDelimited: Bool) -> Action {
        responseHead(closeDelimited: closeDelimited, switchingProtocols: false)
    }

    /// `switchingProtocols`: the upstream answered 101. That is a tunnel when a
    /// WebSocket upgrade was forwarded and the request is complete; otherwise the
    /// upstream switched protocols nobody asked for, and the client gets 502.
    mutating func responseHead(closeDelimited: Bool, switchingProtocols: Bool) -> Action {
        guard case .exchange(var exchange) = state, exchange.response == .awaitingHead else { return .none }
        if switchingProtocols {
            guard exchange.websocketUpgrade, exchange.requestComplete else {
                return fail(.unexpectedSwitchingProtocols)
            }
            state = .tunnel
            return .startTunnel
        }
        exchange.response = .streaming
        if closeDelimited { exchange.keepAlive = false }
        state = .exchange(exchange)
        return .writeResponseHead(closeConnection: !exchange.keepAlive)
    }

    mutating func responseBodyPart() -> Action {
        guard case .exchange(let exchange) = state, exchange.response == .streaming else { return .none }
        return .writeResponsePart
    }

    /// `upstreamKeepAlive`: the upstream's response allows reusing its connection.
    mutating func responseEnd(upstreamKeepAlive: Bool) -> Action {
        guard case .exchange(let exchange) = state, exchange.response == .streaming else { return .none }
        guard exchange.requestComplete else {
            // The upstream answered before reading the whole body: neither side's
            // framing can be trusted to line up with the next request.
            state = .closed
            return .writeResponseEnd(upstream: .close, then: .close)
        }
        let after: After = exchange.keepAlive ? .keepAlive : .close
        state = after == .keepAlive ? .idle : .closed
        return .writeResponseEnd(upstream: upstreamKeepAlive ? .release : .close, then: after)
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
        guard case .exchange(let exchange) = state, !exchange.requestComplete else { return .none }
        if exchange.response == .awaitingHead { return fail(.requestBodyTimedOut(limit)) }
        state = .closed
        return .closeDownstream
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
        defer { state = .closed }
        switch state {
        case .idle:
            return .respondWithFailure(.malformedRequest(reason), then: .close)
        case .exchange(let exchange) where exchange.response == .awaitingHead:
            return .respondWithFailure(.malformedRequest(reason), then: .close)
        case .awaitingHandshake, .exchange, .tunnel, .closed:
            return .closeDownstream
        }
    }

    /// The client connection closed or errored.
    mutating func downstreamClosed() -> Action {
        defer { state = .closed }
        if case .exchange(let exchange) = state, exchange.upstream != .gone { return .abandonUpstream }
        return .none
    }

    private mutating func fail(_ failure: ProxyFailure) -> Action {
        guard case .exchange(var exchange) = state else { return .none }
        exchange.upstream = .gone
        exchange.response = .complete
        if exchange.requestComplete {
            let after: After = exchange.keepAlive ? .keepAlive : .close
            state = after == .keepAlive ? .idle : .closed
            return .respondWithFailure(failure, then: after)
        }
        // A client that sent `Expect: 100-continue` and got a final answer instead may
        // or may not send its body: the framing is unknown, so the connection closes.
        if failure.drainsRequest && exchange.keepAlive && !exchange.expectsContinue {
            state = .exchange(exchange)
            return .respondWithFailure(failure, then: .drainRequest)
        }
        state = .closed
        return .respondWithFailure(failure, then: .close)
    }

    private mutating func finish(_ after: After) -> Action {
        state = after == .keepAlive ? .idle : .closed
        return .completeExchange(then: after)
    }
}
