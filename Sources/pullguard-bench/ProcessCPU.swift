import Foundation

/// CPU time of another process from `/proc/PID/stat`: utime+stime cover all
/// its threads (live and exited), which is what `--target-pid` reports.
struct ProcessCPU {
    let pid: Int32
    private static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    init?(pid: Int32) {
        self.pid = pid
        guard seconds() != nil else { return nil }
    }

    /// utime+stime in seconds, or nil when the process is gone.
    func seconds() -> Double? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        return Self.parse(stat: String(decoding: data, as: UTF8.self)).map { Double($0) / Self.ticksPerSecond }
    }

    /// Ticks of utime (field 14) + stime (field 15). The command name (field 2) may
    /// contain spaces and parentheses, so fields are counted after its last `)`.
    static func parse(stat: String) -> Int? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state), so field N is fields[N - 3].
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return user + system
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
