/// One `pullguard-bench --http 2` connection's requests, as a value: which streams are
/// in flight, when to open more, and how the connection ends. No I/O and no nghttp2 here
/// (the handler in `pullguard-bench` maps nghttp2's events onto these calls and performs
/// the returned actions); tested in Tests/PullGuardToolingTests/Bench.
///
/// ```
/// open ──start──▶ running (≤ streams in flight, `requests` in all) ──last response──▶ done(completed)
///                    │  GOAWAY(NO_ERROR): open nothing more; finish the streams ≤ last-stream-id ──▶ done(endedByServer)
///                    └─ bad status, RST_STREAM, GOAWAY with an error, closed mid-stream ──▶ done(failed)
/// ```
/// Streams above a GOAWAY's last-stream-id were not processed (RFC 9113 §6.8): they are
/// neither successes nor failures, and the worker's next connection carries on.
public struct BenchHTTP2Machine: Sendable {
    public enum Outcome: Equatable, Sendable {
        /// Every planned request was answered with the expected status.
        case completed
        /// The server's GOAWAY ended the connection early; what was answered counts.
        case endedByServer
        case failed(BenchErrorClass)
    }

    public enum Action: Equatable, Sendable {
        case none
        /// Submit this many new requests.
        case submit(Int)
        /// Report the outcome, then end the connection (GOAWAY and close).
        case finish(Outcome)
    }

    private struct Stream {
        var startedAt: UInt64
        var status = 0
    }

    public let streams: Int
    public let requests: Int
    public let expectStatus: Int
    private var open: [Int32: Stream] = [:]
    public private(set) var submitted = 0
    public private(set) var completed = 0
    /// The last-stream-id of the server's GOAWAY, once one arrived.
    public private(set) var goAwayLastStreamID: Int32?
    public private(set) var finished = false

    /// - Parameters:
    ///   - streams: concurrent streams to keep open (`--streams`).
    ///   - requests: requests over the connection's life (`--requests-per-connection`).
    public init(streams: Int, requests: Int, expectStatus: Int) {
        precondition(streams >= 1 && requests >= 1)
        self.streams = streams
        self.requests = requests
        self.expectStatus = expectStatus
    }

    public var inFlight: Int { open.count }

    /// The handshake negotiated h2: open the first streams.
    public mutating func start() -> Action {
        refill()
    }

    /// The handler submitted a request as `streamID` at `now` (nanoseconds, any monotonic clock).
    public mutating func submitted(streamID: Int32, at now: UInt64) {
        submitted += 1
        open[streamID] = Stream(startedAt: now)
    }

    public mutating func status(streamID: Int32, code: Int) {
        open[streamID]?.status = code
    }

    /// The server reset a stream: a failure, unless a GOAWAY said it was never processed.
    public mutating func reset(streamID: Int32, errorCode: UInt32) -> Action {
        guard !finished, open[streamID] != nil else { return .none }
        if let last = goAwayLastStreamID, streamID > last {
            open[streamID] = nil
            return afterStreamEnded()
        }
        return finish(.failed(.h2Reset(errorCode)))
    }

    /// nghttp2 closed a stream. Returns the request's latency (nanoseconds) when it
    /// completed with the expected status, and what to do next.
    public mutating func streamClosed(streamID: Int32, errorCode: UInt32, at now: UInt64) -> (latency: UInt64?, action: Action) {
        guard !finished, let stream = open.removeValue(forKey: streamID) else { return (nil, .none) }
        if let last = goAwayLastStreamID, streamID > last { return (nil, afterStreamEnded()) }
        // A reset the server sent was handled by `reset` (nghttp2 reports the frame before
        // the close), so an error code here is nghttp2's own reset: the response was
        // malformed (say, a missing `:status` or an uppercase header name) or broke flow control.
        guard errorCode == 0 else { return (nil, finish(.failed(.h2StreamError(errorCode)))) }
        guard stream.status == expectStatus else {
            return (nil, finish(.failed(stream.status == 0 ? .h2(reason: "no_response_status") : .httpStatus(stream.status))))
        }
        completed += 1
        return (now &- stream.startedAt, afterStreamEnded())
    }

    /// The server sent GOAWAY. NO_ERROR: open nothing more and finish the processed
    /// streams; any other code: the server saw an error, the connection failed.
    public mutating func goAway(lastStreamID: Int32, errorCode: UInt32) -> Action {
        guard !finished else { return .none }
        guard errorCode == 0 else { return finish(.failed(.h2GoAway(errorCode))) }
        goAwayLastStreamID = min(lastStreamID, goAwayLastStreamID ?? lastStreamID)
        for id in open.keys where id > lastStreamID { open[id] = nil }
        return afterStreamEnded()
    }

    /// A request could not be sent (nghttp2 refused to open the stream).
    public mutating func notSent(streamID: Int32) -> Action {
        guard !finished, open.removeValue(forKey: streamID) != nil else { return .none }
        if goAwayLastStreamID != nil { return afterStreamEnded() }
        return finish(.failed(.h2(reason: "request_not_sent")))
    }

    /// The transport closed (or the TLS layer reported a close) before the machine finished.
    public mutating func connectionClosed() -> Action {
        guard !finished else { return .none }
        if goAwayLastStreamID != nil && open.isEmpty { return finish(.endedByServer) }
        return finish(.failed(.tls(reason: "closed_before_response")))
    }

    private mutating func afterStreamEnded() -> Action {
        if completed == requests { return finish(.completed) }
        if goAwayLastStreamID != nil {
            return open.isEmpty ? finish(.endedByServer) : .none
        }
        return refill()
    }

    private func refillCount() -> Int {
        max(0, min(streams - open.count, requests - submitted))
    }

    private mutating func refill() -> Action {
        let count = refillCount()
        return count > 0 ? .submit(count) : .none
    }

    private mutating func finish(_ outcome: Outcome) -> Action {
        finished = true
        open.removeAll()
        return .finish(outcome)
    }
}
