import NIOCore

/// One request and its response, as a value: what happens to the request's parts,
/// the upstream lease, the response, and what the exchange leaves behind for its
/// connection (`After`).
///
/// Separate from `ProxyConnectionStateMachine` because the connection (handshake,
/// idle and header clocks, pipelining, closing) is HTTP/1.1's, while an exchange is
/// what an HTTP/2 stream is too. Its inputs are events and its outputs actions; it
/// knows nothing of NIO's HTTP/1 types (the head's meaning arrives as a `RequestHead`
/// value), so a stream can drive it as it is.
///
/// Invariants: a response head is relayed at most once; a failure is answered only
/// while no response head went out, and after that only the close can tell the client;
/// a response that ends before its request says the framing can no longer be trusted
/// (`then: .close`); the upstream connection goes back to the pool only after a clean end.
package struct ProxyExchangeStateMachine: Equatable {
    enum Upstream: Equatable {
        /// The site's cap (`limits.max_upstream_connections_per_site`) is reached: the
        /// exchange waits for a slot, at most `upstream_connect`; request parts wait
        /// in the buffer as while connecting.
        case waitingForSlot
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

    /// What a request head asks for beyond a plain exchange.
    struct RequestHead: Equatable {
        /// The client allows another exchange on this connection after this one
        /// (always true for an HTTP/2 stream).
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

    /// What happens to the connection after the exchange's response.
    enum After: Equatable {
        /// The exchange is over: wait for the next request (arm the idle timer).
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
        case bufferRequestPart
        case writeRequestPart
        /// The request's end goes to the upstream: flush, and start the `upstream_response`
        /// clock (like nginx's `proxy_read_timeout`, a slow upload does not count against it).
        case writeRequestEnd
        case dropRequestPart
        /// The upstream is connected: send the head and anything buffered; answer
        /// `100 Continue` first when the client waits for it.
        case sendBufferedRequest(sendContinue: Bool)
        /// The upstream connection arrived for an exchange that no longer wants it.
        case abandonUpstream
        /// No slot under the site's cap now: start the `upstream_connect` clock and wait.
        case waitForSlot
        /// A slot arrived for the waiting exchange: lease a connection from the pool.
        case leaseConnection
        /// A slot arrived for an exchange that no longer waits for one: give it back.
        case releaseSlot
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
        /// Part of a response is out and the exchange cannot finish it: only closing
        /// the connection (resetting the stream) tells the client.
        case closeDownstream

        /// The exchange is over after this action, and how the connection goes on;
        /// nil while it continues (`drainRequest` included: it ends at the request's end).
        var ending: Ending? {
            switch self {
            case .respondWithFailure(_, let after), .writeResponseEnd(_, let after), .completeExchange(let after):
                switch after {
                case .keepAlive: return .keepAlive
                case .close: return .close
                case .drainRequest: return nil
                }
            case .startTunnel: return .tunnel
            case .closeDownstream: return .close
            case .none, .bufferRequestPart, .writeRequestPart, .writeRequestEnd, .dropRequestPart, .sendBufferedRequest,
                 .abandonUpstream, .waitForSlot, .leaseConnection, .releaseSlot, .writeResponseHead, .writeResponsePart:
                return nil
            }
        }
    }

    /// How an exchange left its connection.
    enum Ending: Equatable {
        case keepAlive
        case close
        case tunnel
    }

    private(set) var upstream: Upstream = .connecting
    private(set) var requestComplete = false
    private(set) var response: Response = .awaitingHead
    /// The client allows another request on this connection.
    private(set) var keepAlive: Bool
    /// `Expect: 100-continue` on an HTTP/1.1 request: the client may wait for
    /// `100 Continue` before it sends the body.
    private(set) var expectsContinue: Bool
    /// A WebSocket upgrade was forwarded: a `101` from the upstream turns the
    /// connection into a tunnel.
    private(set) var websocketUpgrade: Bool
    /// The upstream's response head allowed its connection to be reused; decided at the
    /// head, carried out at the end (`writeResponseEnd(upstream:)`).
    private(set) var upstreamReusable = false

    /// A request head was accepted: the exchange starts leasing an upstream.
    init(_ head: RequestHead) {
        keepAlive = head.keepAlive
        expectsContinue = head.expectsContinue
        websocketUpgrade = head.upgrade == .websocket
    }

    /// The request in flight is complete and its response is not: a request read now
    /// is pipelined and must wait.
    var awaitsResponseToCompleteRequest: Bool { requestComplete && response != .complete }

    /// The connection drains: no exchange follows this one. A response head not yet
    /// out carries `Connection: close`; one already out ends with the close.
    mutating func closeAfterResponse() {
        keepAlive = false
    }

    /// The proxy answers the request itself (421, 400) instead of forwarding it.
    mutating func reject(_ failure: ProxyFailure) -> Action {
        fail(failure)
    }

    mutating func requestBodyPart() -> Action {
        requestPartAction
    }

    mutating func requestEnd() -> Action {
        requestComplete = true
        if response == .complete {
            return .completeExchange(then: keepAlive ? .keepAlive : .close)
        }
        return upstream == .connected ? .writeRequestEnd : requestPartAction
    }

    private var requestPartAction: Action {
        switch upstream {
        case .waitingForSlot, .connecting: return .bufferRequestPart
        case .connected: return .writeRequestPart
        case .gone: return .dropRequestPart
        }
    }

    /// The site's cap is reached: the exchange waits for a slot.
    mutating func slotBusy() -> Action {
        guard upstream == .connecting else { return .none }
        upstream = .waitingForSlot
        return .waitForSlot
    }

    /// A slot under the site's cap was handed over.
    mutating func slotGranted() -> Action {
        guard upstream == .waitingForSlot else { return .releaseSlot }
        upstream = .connecting
        return .leaseConnection
    }

    /// No slot came within `upstream_connect`: 503.
    mutating func slotWaitTimedOut(limit: Int, waited: TimeAmount) -> Action {
        guard upstream == .waitingForSlot else { return .none }
        return fail(.upstreamBusy(limit: limit, waited: waited))
    }

    mutating func upstreamConnected() -> Action {
        guard upstream == .connecting else { return .abandonUpstream }
        upstream = .connected
        let sendContinue = expectsContinue && !requestComplete
        expectsContinue = false
        return .sendBufferedRequest(sendContinue: sendContinue)
    }

    /// Connect failure, no slot, response timeout, or the upstream closed/failed.
    mutating func upstreamFailed(_ failure: ProxyFailure) -> Action {
        switch response {
        case .awaitingHead:
            return fail(failure)
        case .streaming:
            // Part of a response is out; the client can only learn of the failure by the close.
            upstream = .gone
            return .closeDownstream
        case .complete:
            return .none
        }
    }

    /// `closeDelimited`: the response has no length and the client cannot take
    /// chunked (HTTP/1.0), so its end is the connection's close.
    /// `switchingProtocols`: the upstream answered 101. That is a tunnel when a
    /// WebSocket upgrade was forwarded and the request is complete; otherwise the
    /// upstream switched protocols nobody asked for, and the client gets 502.
    /// `upstreamKeepAlive`: the response head allows another request on the upstream
    /// connection (HTTP/1.1 without `Connection: close`). After a forwarded upgrade the
    /// upstream's parser state is not worth trusting (a 426 may carry `Connection: upgrade`
    /// too), so that connection is never reused.
    mutating func responseHead(closeDelimited: Bool, switchingProtocols: Bool, upstreamKeepAlive: Bool) -> Action {
        guard response == .awaitingHead else { return .none }
        upstreamReusable = upstreamKeepAlive && !websocketUpgrade
        if switchingProtocols {
            guard websocketUpgrade, requestComplete else {
                return fail(.unexpectedSwitchingProtocols)
            }
            response = .complete
            return .startTunnel
        }
        response = .streaming
        if closeDelimited { keepAlive = false }
        return .writeResponseHead(closeConnection: !keepAlive)
    }

    mutating func responseBodyPart() -> Action {
        response == .streaming ? .writeResponsePart : .none
    }

    mutating func responseEnd() -> Action {
        guard response == .streaming else { return .none }
        response = .complete
        upstream = .gone
        guard requestComplete else {
            // The upstream answered before reading the whole body: neither side's
            // framing can be trusted to line up with the next request.
            return .writeResponseEnd(upstream: .close, then: .close)
        }
        return .writeResponseEnd(upstream: upstreamReusable ? .release : .close, then: keepAlive ? .keepAlive : .close)
    }

    /// `client_body` passed with no body bytes while PullGuard wanted more: 408 when
    /// no response has started, otherwise just the close.
    mutating func bodyTimedOut(_ limit: TimeAmount) -> Action {
        guard !requestComplete else { return .none }
        if response == .awaitingHead { return fail(.requestBodyTimedOut(limit)) }
        return .closeDownstream
    }

    /// The request bytes did not parse. Answered with 400 while no response is under
    /// way, otherwise just closed: after malformed input the framing cannot be trusted.
    mutating func malformedRequest(_ reason: String) -> Action {
        guard response == .awaitingHead else { return .closeDownstream }
        upstream = .gone
        response = .complete
        return .respondWithFailure(.malformedRequest(reason), then: .close)
    }

    private mutating func fail(_ failure: ProxyFailure) -> Action {
        upstream = .gone
        response = .complete
        if requestComplete {
            return .respondWithFailure(failure, then: keepAlive ? .keepAlive : .close)
        }
        // A client that sent `Expect: 100-continue` and got a final answer instead may
        // or may not send its body: the framing is unknown, so the connection closes.
        if failure.drainsRequest && keepAlive && !expectsContinue {
            return .respondWithFailure(failure, then: .drainRequest)
        }
        return .respondWithFailure(failure, then: .close)
    }
}
