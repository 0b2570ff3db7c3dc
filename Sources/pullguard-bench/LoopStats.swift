import Histogram
import PullGuardTooling

/// One event loop's counts, touched only on that loop (no locks on the hot
/// path); the runner copies them once a second for progress and merges them
/// at the end.
struct LoopStats: Sendable {
    var connectionsOK = 0
    var connectionsFailed = 0
    var requestsOK = 0
    var connectionsResumed = 0
    /// Keep-alive connections the server ended early (`ConnectionOutcome.endedByServer`).
    var connectionsEndedByServer = 0
    /// Microseconds; grows if a latency exceeds the initial 60 s range.
    var latencyMicros: Histogram<UInt64> = {
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        histogram.autoResize = true
        return histogram
    }()
    var errors: [BenchErrorClass: Int] = [:]

    mutating func recordLatency(nanoseconds: Int64) {
        _ = latencyMicros.record(UInt64(max(1, nanoseconds / 1000)))
    }

    mutating func merge(_ other: LoopStats) {
        connectionsOK += other.connectionsOK
        connectionsFailed += other.connectionsFailed
        requestsOK += other.requestsOK
        connectionsResumed += other.connectionsResumed
        connectionsEndedByServer += other.connectionsEndedByServer
        latencyMicros.add(other.latencyMicros)
        errors.merge(other.errors, uniquingKeysWith: +)
    }

    /// The counters without the histogram: what progress needs each second.
    var counters: LoopStats {
        var copy = LoopStats()
        copy.connectionsOK = connectionsOK
        copy.connectionsFailed = connectionsFailed
        copy.requestsOK = requestsOK
        return copy
    }

    func latency() -> BenchReport.Latency {
        guard latencyMicros.totalCount > 0 else { return BenchReport.Latency(p50: 0, p90: 0, p99: 0, max: 0) }
        let ms = { (micros: UInt64) in Double(micros) / 1000 }
        return BenchReport.Latency(p50: ms(latencyMicros.valueAtPercentile(50)), p90: ms(latencyMicros.valueAtPercentile(90)),
                                   p99: ms(latencyMicros.valueAtPercentile(99)), max: ms(latencyMicros.max))
    }
}
