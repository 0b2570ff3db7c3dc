import NIOCore
import PullGuardCore

/// The life of one HTTP/2 client connection, as a value: its streams, each an exchange
/// (`ProxyExchangeStateMachine`, the same one an HTTP/1.1 request drives), what the
/// connection tolerates (empty DATA frames), and whether it drains.
///
/// `HTTP2ProxyHandler` feeds it the session's events and performs the actions it returns;
/// nghttp2 itself enforces the frame-level rules and floods (`NGHTTP2ServerSession`).
///
/// Invariants: a stream's exchange ends at most once; a response that cannot be finished
/// resets its stream, never the connection; after a drain no new stream is admitted;
/// more than `maxEmptyDataFrames` empty DATA frames end the connection, once: after that
/// no new stream is admitted (the rest of the read that carried the flood is not served).
struct HTTP2ConnectionStateMachine {
    typealias Exchange = ProxyExchangeStateMachine

    enum Action: Equatable {
        case none
        /// A request head was admitted: check it and lease an upstream for `stream`.
        case startExchange(stream: Int32)
        /// The stream's exchange asks for this.
        case exchange(stream: Int32, Exchange.Action)
        /// Refuse a stream that arrived while draining (REFUSED_STREAM: the client may retry it).
        case refuse(stream: Int32)
        /// GOAWAY(ENHANCE_YOUR_CALM) and close: the client floods.
        case terminateForAbuse
        /// GOAWAY announcing the shutdown (RFC 9113 §6.8): requests already sent still count.
        case goAwayNotice
        /// GOAWAY naming the last stream; open streams finish.
        case goAway
        /// No stream is open and the connection drains: close once the output is written.
        case close
    }

    private(set) var exchanges = StreamTable<Exchange>()
    private(set) var draining = false
    /// The final GOAWAY went out: no stream is admitted any more.
    private(set) var goAwaySent = false
    private(set) var emptyDataFrames = 0
    /// The connection was ended for abuse: counted and answered once, nothing new starts.
    private(set) var terminated = false
    let maxEmptyDataFrames: Int

    init(maxEmptyDataFrames: Int) {
        self.maxEmptyDataFrames = maxEmptyDataFrames
    }

    var openStreams: Int { exchanges.count }

    func exchange(_ stream: Int32) -> Exchange? { exchanges[stream] }

    /// A complete request header block. The handler checks and forwards it on
    /// `.startExchange`, then reports `requestEnd` when the block also ended the stream.
    mutating func request(stream: Int32) -> Action {
        if terminated { return .none }
        if goAwaySent { return .refuse(stream: stream) }
        exchanges[stream] = Exchange(Exchange.RequestHead(keepAlive: true))
        return .startExchange(stream: stream)
    }

    mutating func requestBody(stream: Int32) -> Action {
        event(stream) { $0.requestBodyPart() }
    }

    mutating func requestEnd(stream: Int32) -> Action {
        event(stream) { $0.requestEnd() }
    }

    /// The proxy answers the stream itself (421, 400, 405).
    mutating func reject(stream: Int32, _ failure: ProxyFailure) -> Action {
        event(stream) { $0.reject(failure) }
    }

    mutating func slotBusy(stream: Int32) -> Action { event(stream) { $0.slotBusy() } }
    mutating func slotGranted(stream: Int32) -> Action {
        guard exchanges[stream] != nil else { return .exchange(stream: stream, .releaseSlot) }
        return event(stream) { $0.slotGranted() }
    }
    mutating func slotWaitTimedOut(stream: Int32, limit: Int, waited: TimeAmount) -> Action {
        event(stream) { $0.slotWaitTimedOut(limit: limit, waited: waited) }
    }

    mutating func upstreamConnected(stream: Int32) -> Action {
        guard exchanges[stream] != nil else { return .exchange(stream: stream, .abandonUpstream) }
        return event(stream) { $0.upstreamConnected() }
    }

    mutating func upstreamFailed(stream: Int32, _ failure: ProxyFailure) -> Action {
        event(stream) { $0.upstreamFailed(failure) }
    }

    /// `switchingProtocols`: the upstream answered 101. A stream never forwards an upgrade
    /// (HTTP/2 forbids `Upgrade`), so the exchange answers it with 502, as HTTP/1.1 answers
    /// a 101 nobody asked for.
    mutating func responseHead(stream: Int32, switchingProtocols: Bool = false, upstreamKeepAlive: Bool) -> Action {
        event(stream) {
            $0.responseHead(closeDelimited: false, switchingProtocols: switchingProtocols, upstreamKeepAlive: upstreamKeepAlive)
        }
    }

    mutating func responseBody(stream: Int32) -> Action { event(stream) { $0.responseBodyPart() } }

    mutating func responseEnd(stream: Int32) -> Action { event(stream) { $0.responseEnd() } }

    /// The stream closed (ended, or reset by either side): whatever it still held goes.
    mutating func streamClosed(stream: Int32) -> Action {
        guard let exchange = exchanges.removeValue(forKey: stream) else { return closeIfDrained() }
        if exchange.upstream != .gone { return .exchange(stream: stream, .abandonUpstream) }
        return closeIfDrained()
    }

    /// A DATA frame with neither payload nor END_STREAM (CVE-2019-9518).
    mutating func emptyData() -> Action {
        guard !terminated else { return .none }
        emptyDataFrames += 1
        guard emptyDataFrames > maxEmptyDataFrames else { return .none }
        terminated = true
        return .terminateForAbuse
    }

    /// A reload replaced the configuration, or the process stops: announce the shutdown;
    /// `drainGraceOver` follows once requests already on the wire had time to arrive.
    mutating func drain() -> Action {
        guard !draining else { return .none }
        draining = true
        return .goAwayNotice
    }

    /// The final GOAWAY: streams opened so far finish, then the connection closes.
    mutating func drainGraceOver() -> Action {
        guard draining, !goAwaySent else { return .none }
        goAwaySent = true
        return exchanges.isEmpty ? .close : .goAway
    }

    /// Whether the connection can close now (final GOAWAY sent and nothing open).
    var isDrained: Bool { goAwaySent && exchanges.isEmpty }

    private mutating func closeIfDrained() -> Action {
        isDrained ? .close : .none
    }

    /// Runs `body` on the stream's exchange in place (one look-up, no copy out and back).
    /// An exchange that ended stays until its stream closes (nghttp2 reports that once
    /// the last frame is out).
    private mutating func event(_ stream: Int32, _ body: (inout Exchange) -> Exchange.Action) -> Action {
        guard let action = exchanges.modify(stream, body) else { return .none }
        return action == .none ? .none : .exchange(stream: stream, action)
    }
}
