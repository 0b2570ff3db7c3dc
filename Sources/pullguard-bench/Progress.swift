import Dispatch
import Foundation
import PullGuardTooling

/// The once-a-second line on stderr: elapsed time, rates over the last second, errors so far.
struct Progress {
    private let start: DispatchTime
    private var last: LoopStats
    private var lastTime: DispatchTime

    init(start: DispatchTime) {
        self.start = start
        self.last = LoopStats()
        self.lastTime = start
    }

    mutating func tick(_ perLoop: [LoopStats]) {
        var now = LoopStats()
        for stats in perLoop { now.merge(stats) }
        let time = DispatchTime.now()
        let interval = max(1e-9, Double(time.uptimeNanoseconds - lastTime.uptimeNanoseconds) / 1_000_000_000)
        let elapsed = Double(time.uptimeNanoseconds - start.uptimeNanoseconds) / 1_000_000_000
        let connections = Double(now.connectionsOK - last.connectionsOK) / interval
        let requests = Double(now.requestsOK - last.requestsOK) / interval
        Self.note("\(BenchReport.fixed(elapsed, 1)) s  \(BenchReport.fixed(connections, 0)) conn/s  "
            + "\(BenchReport.fixed(requests, 0)) req/s  \(now.connectionsFailed) errors")
        last = now
        lastTime = time
    }

    static func note(_ line: String) {
        FileHandle.standardError.write(Data("pullguard-bench: \(line)\n".utf8))
    }
}
