/// A process's CPU time split into user and kernel (system) time, as `/proc/PID/stat`
/// reports it for all its threads, live and exited.
///
/// The split is what makes a CPU target checkable against a floor: the kernel's share
/// (socket calls, wake-ups, TCP) is the same work for every server on the machine,
/// so a target below "kernel time + the TLS library's own time" cannot be reached by
/// tuning the server. `pullguard-bench --target-pid` reports both.
public struct ProcessCPUTime: Sendable, Equatable {
    public var userSeconds: Double
    public var kernelSeconds: Double

    public init(userSeconds: Double, kernelSeconds: Double) {
        self.userSeconds = userSeconds
        self.kernelSeconds = kernelSeconds
    }

    public var totalSeconds: Double { userSeconds + kernelSeconds }

    public static let zero = ProcessCPUTime(userSeconds: 0, kernelSeconds: 0)

    public static func + (lhs: ProcessCPUTime, rhs: ProcessCPUTime) -> ProcessCPUTime {
        ProcessCPUTime(userSeconds: lhs.userSeconds + rhs.userSeconds, kernelSeconds: lhs.kernelSeconds + rhs.kernelSeconds)
    }

    public static func - (lhs: ProcessCPUTime, rhs: ProcessCPUTime) -> ProcessCPUTime {
        ProcessCPUTime(userSeconds: lhs.userSeconds - rhs.userSeconds, kernelSeconds: lhs.kernelSeconds - rhs.kernelSeconds)
    }

    /// utime (field 14) and stime (field 15) of a `/proc/PID/stat` line, in clock ticks
    /// converted with `ticksPerSecond`. The command name (field 2) may contain spaces
    /// and parentheses, so fields are counted after its last `)`. Nil when malformed.
    public static func parse(stat: String, ticksPerSecond: Double) -> ProcessCPUTime? {
        guard ticksPerSecond > 0, let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state), so field N is fields[N - 3].
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]), user >= 0, system >= 0 else {
            return nil
        }
        return ProcessCPUTime(userSeconds: Double(user) / ticksPerSecond, kernelSeconds: Double(system) / ticksPerSecond)
    }
}
