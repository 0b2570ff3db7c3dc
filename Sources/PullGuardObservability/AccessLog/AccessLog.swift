import Foundation
import PullGuardCore
#if canImport(Glibc)
import Glibc
#endif

/// The access log of one configuration: turns what the TLS layer and the proxy know into
/// JSON lines (docs/operations.md, "Access log") and hands them to the process's sink.
///
/// A connection's own facts (site, TLS, certificate, client address) are the same for
/// every request on it, so they are encoded once per connection (`connectionFragment`)
/// and copied into each request's line.
public final class AccessLog: Sendable {
    public let sink: AccessLogSink
    public let settings: AccessLogSettings
    /// One per event loop, each only touched on its loop.
    private let refusalLimiters: [RefusalLineLimiter]

    public init(sink: AccessLogSink, settings: AccessLogSettings, loops: Int) {
        self.sink = sink
        self.settings = settings
        refusalLimiters = (0..<max(1, loops)).map { _ in
            RefusalLineLimiter(perSecond: settings.refusedHandshakesPerSecond)
        }
    }

    /// The fields every request line of a connection shares.
    public func connectionFragment(_ established: TLSConnectionEstablished, clientAddress: String?,
                                   clientPort: Int?) -> [UInt8] {
        var line = JSONLine(capacity: 512)
        line.string("site", established.siteName)
        line.string("sni", established.serverName)
        line.string("alpn", established.alpn)
        line.string("tls_version", established.protocolVersion)
        line.string("cipher", established.cipher)
        line.bool("resumed", established.resumed)
        line.string("verify", established.verification.headerValue)
        let leaf = established.verification.leaf
        line.string("client_subject", leaf?.subject)
        line.string("client_issuer", leaf?.issuer)
        line.string("client_serial", leaf?.serialHex)
        line.string("client_fingerprint", leaf?.sha256Fingerprint)
        if case .success(let identity) = established.verification {
            line.string("trust_source", identity.trustSource)
            line.string("trust_anchor", identity.chain.last?.subject)
        } else {
            line.string("trust_source", nil)
            line.string("trust_anchor", nil)
        }
        line.string("client_addr", clientAddress)
        line.int("client_port", clientPort)
        return line.fragment
    }

    /// Writes one request's line. False: the sink was full and the line was dropped.
    @discardableResult
    public func write(_ entry: RequestLogEntry, connection fragment: [UInt8]) -> Bool {
        var line = JSONLine(capacity: fragment.count + 512)
        stamp(&line, type: "request")
        line.appendFragment(fragment)
        entry.encode(into: &line)
        return sink.append(line.finish())
    }

    /// What happened to a refused handshake's line.
    public enum RefusalWrite: Equatable {
        case written
        /// Over `refused_handshakes_per_second`: held back, counted, reported by the next line.
        case suppressed
        case dropped
    }

    /// Writes a refused handshake's line unless this loop wrote its share this second.
    /// Call on the loop whose index is `loop`.
    public func write(_ entry: RefusalLogEntry, loop: Int) -> RefusalWrite {
        let limiter = refusalLimiters[loop % refusalLimiters.count]
        guard let suppressedBefore = limiter.admit(now: Self.monotonicNanoseconds()) else { return .suppressed }
        var line = JSONLine(capacity: 768)
        stamp(&line, type: "handshake_refused")
        entry.encode(into: &line)
        line.int("suppressed_before", suppressedBefore)
        return sink.append(line.finish()) ? .written : .dropped
    }

    private func stamp(_ line: inout JSONLine, type: StaticString) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        line.timestamp("time", secondsSince1970: Int64(now.tv_sec), nanoseconds: Int(now.tv_nsec))
        line.string("type", "\(type)")
    }

    static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}

/// A token bucket of refused-handshake lines for one event loop: `perSecond` lines a
/// second, bursts of as many. Only touched on its loop (hence no lock).
final class RefusalLineLimiter: @unchecked Sendable {
    private var state: RefusalLineBudget

    init(perSecond: Int) {
        state = RefusalLineBudget(perSecond: perSecond)
    }

    /// nil: suppress this line. Otherwise the number of lines suppressed since the last one written.
    func admit(now: Int64) -> Int? { state.admit(now: now) }
}

/// The token bucket itself, a value so it is tested without clocks.
struct RefusalLineBudget {
    let perSecond: Int
    private var tokens: Double
    private var last: Int64?
    private var suppressed = 0

    init(perSecond: Int) {
        self.perSecond = perSecond
        tokens = Double(perSecond)
    }

    mutating func admit(now: Int64) -> Int? {
        if let last {
            tokens = min(Double(perSecond), tokens + Double(now - last) / 1e9 * Double(perSecond))
        }
        last = now
        guard tokens >= 1 else {
            suppressed += 1
            return nil
        }
        tokens -= 1
        defer { suppressed = 0 }
        return suppressed
    }
}
