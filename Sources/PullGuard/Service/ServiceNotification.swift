#if canImport(Glibc)
import Glibc
#endif

/// A state change told to systemd through `sd_notify` (`Type=notify`), as the datagram
/// text systemd reads: newline-separated `KEY=VALUE` assignments (sd_notify(3)).
///
/// `READY=1` after the listeners are bound, so `systemctl start` returns only when
/// PullGuard accepts connections; `RELOADING=1` then `READY=1` around a reload, so
/// `systemctl reload` waits for it; `STOPPING=1` when a drain begins.
public enum ServiceNotification: Sendable, Equatable {
    case ready
    /// `monotonicMicroseconds`: CLOCK_MONOTONIC when the reload began. systemd 253 and
    /// later want it with `RELOADING=1` (for `Type=notify-reload`) to tell this reload's
    /// READY=1 from an earlier one; older versions ignore it.
    case reloading(monotonicMicroseconds: UInt64)
    case stopping
    /// Free text shown by `systemctl status`.
    case status(String)

    /// `reloading` stamped with the current CLOCK_MONOTONIC.
    public static func reloadingNow() -> ServiceNotification {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return .reloading(monotonicMicroseconds: UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000)
    }

    /// The datagram's text.
    public var text: String {
        switch self {
        case .ready: return "READY=1"
        case .reloading(let microseconds): return "RELOADING=1\nMONOTONIC_USEC=\(microseconds)"
        case .stopping: return "STOPPING=1"
        // A newline would start another assignment: systemd would read the rest as a command.
        case .status(let text): return "STATUS=" + text.map { $0.isNewline ? " " : String($0) }.joined()
        }
    }
}
