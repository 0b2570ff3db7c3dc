import NIOConcurrencyHelpers
import PullGuard
import PullGuardCore

/// `watch: true` for the runner: a `ConfigWatcher` whose changes become
/// `RunnerEvent.filesChanged`, following each applied configuration (a reload may turn
/// watching on or off, change the debounce, or reference other files).
final class FileWatch: Sendable {
    private struct Running {
        var watcher: ConfigWatcher
        var task: Task<Void, Never>
    }

    private let events: AsyncStream<RunnerEvent>.Continuation
    private let running = NIOLockedValueBox<Running?>(nil)

    init(events: AsyncStream<RunnerEvent>.Continuation) {
        self.events = events
    }

    /// Watches what `settings` references, or stops watching when it says `watch: false`.
    func follow(_ settings: PullGuardSettings) {
        running.withLockedValue { running in
            guard settings.reload.watch else {
                running?.task.cancel()
                running = nil
                return
            }
            let debounce = Duration.nanoseconds(settings.reload.watchDebounce.nanoseconds)
            if let current = running, current.watcher.debounce == debounce {
                current.watcher.update(paths: settings.referencedFiles)
                return
            }
            running?.task.cancel()
            let watcher = ConfigWatcher(settings: settings)
            let changes = watcher.changes()
            let events = self.events
            running = Running(watcher: watcher, task: Task {
                for await _ in changes { events.yield(.filesChanged) }
            })
        }
    }

    func stop() {
        running.withLockedValue { running in
            running?.task.cancel()
            running = nil
        }
    }
}
