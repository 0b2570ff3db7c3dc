import NIOCore

/// How a running PullGuard learns that it should reload, and where it says who it is.
///
/// Read by the composition root only: the pid file is written at start and removed
/// at clean exit; `watch` starts a `ConfigWatcher` over `PullGuardSettings.referencedFiles`.
public struct ReloadSettings: Sendable, Hashable {
    /// Quiet period after the last change seen before a watched change triggers a reload:
    /// long enough to let an editor or `kubectl` finish writing a set of files.
    public static let defaultWatchDebounce = TimeAmount.seconds(1)

    /// `pid_file`: absolute path, resolved against the config file's folder; nil when not configured.
    public var pidFile: String?
    /// `watch`: reload when the configuration or any file it references changes.
    public var watch: Bool
    /// `watch_debounce`.
    public var watchDebounce: TimeAmount

    public init(pidFile: String? = nil, watch: Bool = false, watchDebounce: TimeAmount = Self.defaultWatchDebounce) {
        self.pidFile = pidFile
        self.watch = watch
        self.watchDebounce = watchDebounce
    }
}
