import Dispatch
import NIOConcurrencyHelpers
import PullGuardCore

/// `watch: true`: polls the files a configuration references and reports, once per settled
/// change, that a reload is due.
///
/// Polling rather than inotify: it sees every way a file is replaced (rename over it,
/// delete and re-create, Kubernetes re-pointing a `..data` symlink two links away from the
/// watched path) with one mechanism and no per-platform code, and a few `stat`s and small
/// reads every half second cost nothing. The decisions are `ConfigWatchStateMachine`'s;
/// this class only reads the file system on a timer and yields.
///
/// Usage from the runner:
/// ```
/// let watcher = ConfigWatcher(settings: settings)
/// for await _ in watcher.changes() {          // ends when the consuming task is cancelled
///     // reload; on success: watcher.update(paths: newSettings.referencedFiles)
/// }
/// ```
public final class ConfigWatcher: Sendable {
    public let interval: Duration
    public let debounce: Duration
    private let watched: NIOLockedValueBox<[String]>

    /// - Parameters:
    ///   - paths: absolute paths; `PullGuardSettings.referencedFiles`.
    ///   - interval: time between two polls.
    ///   - debounce: quiet time after the last change before reporting it.
    public init(paths: [String], interval: Duration = .milliseconds(500), debounce: Duration = .seconds(1)) {
        self.interval = interval
        self.debounce = debounce
        self.watched = NIOLockedValueBox(paths)
    }

    /// Watches `settings.referencedFiles` with `settings.reload.watchDebounce`.
    public convenience init(settings: PullGuardSettings, interval: Duration = .milliseconds(500)) {
        self.init(paths: settings.referencedFiles, interval: interval,
                  debounce: .nanoseconds(settings.reload.watchDebounce.nanoseconds))
    }

    /// The paths watched now.
    public var paths: [String] { watched.withLockedValue { $0 } }

    /// Replaces the watched set, after a reload whose configuration references other files.
    /// Paths kept keep their baseline, so a change made while the reload ran is still
    /// reported; new paths are taken as they are at the next poll.
    public func update(paths: [String]) {
        watched.withLockedValue { $0 = paths }
    }

    /// One element per settled change. The baseline is taken before this returns, so any
    /// change after the call is reported. Polling stops when the consumer stops iterating
    /// (its task is cancelled or the stream is dropped). Several changes reported while the
    /// consumer is busy reloading collapse into one pending element.
    ///
    /// Polls run on a private dispatch queue: their `stat`s and small reads block, so they
    /// stay off the event loops and off Swift's cooperative pool (and keep polling when
    /// that pool is busy).
    public func changes() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let poll = Poll(debounce: debounce, watched: watched, continuation: continuation)
        continuation.onTermination = { _ in poll.stop() }
        poll.start(every: interval)
        return stream
    }
}

/// One `changes()` stream's state: the decision machine, its timer, and where to report.
private final class Poll: @unchecked Sendable {
    // @unchecked: `machine` is read and written only on `queue` (and once in init, before
    // the timer starts); `timer` is set once in `start`, before the stream is returned,
    // and DispatchSource's `cancel` may be called from any thread.
    private var machine: ConfigWatchStateMachine
    private let queue = DispatchQueue(label: "pullguard.config-watcher")
    private var timer: DispatchSourceTimer?
    private let watched: NIOLockedValueBox<[String]>
    private let continuation: AsyncStream<Void>.Continuation
    private let clock = ContinuousClock()

    init(debounce: Duration, watched: NIOLockedValueBox<[String]>, continuation: AsyncStream<Void>.Continuation) {
        self.machine = ConfigWatchStateMachine(debounce: debounce)
        self.watched = watched
        self.continuation = continuation
        _ = machine.observed(FileFingerprint.snapshot(of: watched.withLockedValue { $0 }), at: clock.now)
    }

    func start(every interval: Duration) {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let nanoseconds = Self.nanoseconds(interval)
        timer.schedule(deadline: .now() + .nanoseconds(nanoseconds), repeating: .nanoseconds(nanoseconds),
                       leeway: .nanoseconds(nanoseconds / 10))
        // Strong: the cycle ends when `stop` cancels the timer, which releases this handler.
        timer.setEventHandler { self.run() }
        self.timer = timer
        timer.resume()
    }

    func stop() {
        timer?.cancel()
    }

    private static func nanoseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1_000_000, Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    }

    private func run() {
        let snapshot = FileFingerprint.snapshot(of: watched.withLockedValue { $0 })
        if machine.observed(snapshot, at: clock.now) == .reload { continuation.yield() }
    }
}
