import NIOCore
import PullGuardCore

/// `pid_file`, `watch` and `watch_debounce`: how a running process is told to reload.
extension ConfigValidator {
    /// Shorter than this and a `kubectl apply` or an editor's save can be seen half done;
    /// longer and an operator waits for a reload they cannot see.
    static let watchDebounceRange = TimeAmount.milliseconds(100)...TimeAmount.minutes(10)

    mutating func reloadSettings(_ document: ConfigDocument) -> ReloadSettings {
        var settings = ReloadSettings(watch: document.watch.value ?? false)
        if let path = document.pidFile.value {
            if path.isEmpty || path.hasSuffix("/") {
                report(document.pidFile.keyPath, "'\(path)' is not a file path")
            } else {
                // Only the path is checked here: `pullguard check` may run where the pid
                // file's folder does not exist; writing it at start reports that clearly.
                settings.pidFile = resolve(path)
            }
        }
        if let debounce = duration(document.watchDebounce) {
            let range = Self.watchDebounceRange
            if range.contains(debounce) {
                settings.watchDebounce = debounce
            } else {
                report(document.watchDebounce.keyPath, "\(document.watchDebounce.value ?? "") is out of range 100ms...10m")
            }
        }
        return settings
    }
}
