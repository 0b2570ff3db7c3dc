import Foundation
import PullGuardTooling

/// CPU time of another process from `/proc/PID/stat` (all its threads, live and
/// exited), which is what `--target-pid` reports, split into user and kernel time.
struct ProcessCPU {
    let pid: Int32
    private static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    init?(pid: Int32) {
        self.pid = pid
        guard time() != nil else { return nil }
    }

    /// User and kernel time so far, or nil when the process is gone.
    func time() -> ProcessCPUTime? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        return ProcessCPUTime.parse(stat: String(decoding: data, as: UTF8.self), ticksPerSecond: Self.ticksPerSecond)
    }

    /// This process's own user+system CPU, from getrusage.
    static func ownSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1_000_000
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1_000_000
        return user + system
    }
}
