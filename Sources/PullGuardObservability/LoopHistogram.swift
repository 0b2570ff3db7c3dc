import Prometheus

/// One event loop's duration histogram (`PullGuardMetrics.handshakeDuration(forLoop:)`):
/// what a handler holds and records into, without seeing swift-prometheus's types.
public struct LoopHistogram: Sendable {
    let histogram: DurationHistogram

    /// Records one duration. Call it on the loop it was obtained for: the histogram's lock
    /// is then only contended by a scrape.
    @inline(__always)
    public func recordNanoseconds(_ nanoseconds: Int64) {
        histogram.recordNanoseconds(max(0, nanoseconds))
    }
}
