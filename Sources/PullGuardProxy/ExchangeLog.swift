import NIOCore
import NIOHTTP1
import PullGuardCore
import PullGuardHTTP
import PullGuardObservability

/// One exchange's access-log entry while it runs: the handlers note what happened (the
/// upstream lease, the request sent, the response head, body bytes) and write the line
/// when the exchange ends, whichever way it ends.
struct ExchangeLog {
    var entry: RequestLogEntry
    let startedAt: NIODeadline
    private var leaseStartedAt: NIODeadline?
    private var requestSentAt: NIODeadline?
    /// The status of the response head sent to the client, once sent.
    private(set) var statusSent: Int?

    /// The request id is set once the request is forwarded (`ProxyRequestRules.upstreamHeaders`);
    /// one answered before that gets one when its line is written.
    /// - Parameters:
    ///   - verification: the connection's verdict: `CF-Connecting-IP` and `CF-Ray` are
    ///     only logged when it is a chain anchored at the Cloudflare CA, the only case
    ///     where Cloudflare, not the client, wrote them.
    init(protocolName: String, head: HTTPRequestHead, verification: VerificationOutcome, startedAt: NIODeadline) {
        entry = RequestLogEntry(requestID: "", protocolName: protocolName, method: head.method.rawValue,
                                authority: head.headers.first(name: "host"), path: head.uri)
        if case .success(let identity) = verification, identity.isCloudflare {
            entry.cfConnectingIP = head.headers.first(name: "cf-connecting-ip")
            entry.cfRay = head.headers.first(name: "cf-ray")
        }
        self.startedAt = startedAt
    }

    /// An exchange that never had a readable head (a malformed request, answered 400).
    init(protocolName: String, startedAt: NIODeadline) {
        entry = RequestLogEntry(requestID: "", protocolName: protocolName, method: "-", authority: nil, path: "-")
        self.startedAt = startedAt
    }

    /// - Parameter upstream: `host:port` as logged (`ConnectionLog.upstreamName`).
    mutating func leaseStarted(upstream: String, now: NIODeadline = .now()) {
        entry.upstream = upstream
        leaseStartedAt = now
    }

    mutating func upstreamConnected(now: NIODeadline = .now()) {
        guard let leaseStartedAt else { return }
        entry.upstreamConnectNanoseconds = (now - leaseStartedAt).nanoseconds
    }

    mutating func requestHeadSent(now: NIODeadline = .now()) {
        requestSentAt = now
    }

    mutating func responseHead(status: Int, now: NIODeadline = .now()) {
        statusSent = status
        if let requestSentAt { entry.upstreamFirstByteNanoseconds = (now - requestSentAt).nanoseconds }
    }

    /// PullGuard's own answer went out instead of the upstream's.
    mutating func answered(status: Int) {
        statusSent = status
    }

    mutating func bodyIn(_ bytes: Int) { entry.bytesIn += bytes }
    mutating func bodyOut(_ bytes: Int) { entry.bytesOut += bytes }

    /// The finished entry: status as sent, or 499 when the client left before any head.
    func finished(now: NIODeadline = .now()) -> RequestLogEntry {
        var done = entry
        done.status = statusSent ?? 499
        done.durationNanoseconds = (now - startedAt).nanoseconds
        return done
    }
}

/// A connection's link to the access log: the log of its configuration and the fields
/// its lines share, encoded once; plus its request ids.
struct ConnectionLog {
    let log: AccessLog?
    private var fragment: [UInt8] = []
    private var ids: RequestIDGenerator?
    /// The last upstream named in a line, and that name: a connection's requests all go to
    /// its site's upstream, so the name is made once, not per request.
    private var upstreamName: (address: UpstreamAddress, name: String)?

    init(log: AccessLog?) {
        self.log = log
    }

    mutating func connect(_ established: TLSConnectionEstablished, clientAddress: String?, clientPort: Int?) {
        guard let log else { return }
        fragment = log.connectionFragment(established, clientAddress: clientAddress, clientPort: clientPort)
    }

    /// `host:port` (`[v6]:port`) of `address`, as the access log writes it.
    mutating func upstreamName(_ address: UpstreamAddress) -> String {
        if let cached = upstreamName, cached.address == address { return cached.name }
        let isV6 = address.host.utf8.contains(UInt8(ascii: ":"))
        let name = isV6 ? "[\(address.host)]:\(address.port)" : "\(address.host):\(address.port)"
        upstreamName = (address, name)
        return name
    }

    mutating func nextRequestID() -> String {
        if ids == nil { ids = RequestIDGenerator() }
        return ids!.next()
    }

    /// Writes the exchange's line; counts it when the sink was full.
    mutating func write(_ exchange: ExchangeLog, counters: LoopCounters) {
        guard let log else { return }
        var entry = exchange.finished()
        // Answered before it was forwarded: the id exists only in the log.
        if entry.requestID.isEmpty { entry.requestID = nextRequestID() }
        if !log.write(entry, connection: fragment) { counters.increment(.accessLogDropped) }
    }
}
