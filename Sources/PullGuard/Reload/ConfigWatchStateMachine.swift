/// Decides, from successive snapshots of the watched files, when to reload: once, after
/// the files have stopped changing for `debounce`.
///
/// A value: snapshots and the time in, `.wait` or `.reload` out; `ConfigWatcher` does the
/// polling. Debouncing matters because an update is rarely one write: `kubectl` replaces a
/// Secret's certificate and key together, an editor may truncate then write, and a reload
/// in between would read a certificate that does not match its key.
///
/// ```
/// watching(seen) --snapshot differs--> settling(seen, lastChange)
/// settling      --differs again------> settling(new, now)           (the quiet period restarts)
/// settling      --quiet for debounce-> watching(seen)   => .reload
/// ```
///
/// Paths that appear in a snapshot for the first time (after `ConfigWatcher.update(paths:)`)
/// become part of the baseline without counting as a change; paths no longer in a snapshot
/// are forgotten. A file that disappears counts as a change like any other: the reload that
/// follows fails validation, names the missing file, and keeps the running generation.
public struct ConfigWatchStateMachine: Sendable {
    public enum Action: Sendable, Equatable {
        case wait
        case reload
    }

    enum State: Sendable, Equatable {
        /// No snapshot yet.
        case starting
        case watching(seen: [String: FileFingerprint])
        /// A change was seen; waiting for `debounce` without another one.
        case settling(seen: [String: FileFingerprint], lastChange: ContinuousClock.Instant)
    }

    public let debounce: Duration
    private(set) var state: State = .starting

    public init(debounce: Duration) {
        self.debounce = debounce
    }

    /// One poll's result.
    public mutating func observed(_ snapshot: [String: FileFingerprint], at now: ContinuousClock.Instant) -> Action {
        switch state {
        case .starting:
            state = .watching(seen: snapshot)
            return .wait
        case .watching(let seen):
            guard Self.differs(seen, snapshot) else {
                state = .watching(seen: snapshot)
                return .wait
            }
            state = .settling(seen: snapshot, lastChange: now)
            return settle(snapshot, lastChange: now, now: now)
        case .settling(let seen, let lastChange):
            if Self.differs(seen, snapshot) {
                state = .settling(seen: snapshot, lastChange: now)
                return settle(snapshot, lastChange: now, now: now)
            }
            return settle(snapshot, lastChange: lastChange, now: now)
        }
    }

    private mutating func settle(_ snapshot: [String: FileFingerprint], lastChange: ContinuousClock.Instant,
                                 now: ContinuousClock.Instant) -> Action {
        guard now - lastChange >= debounce else {
            state = .settling(seen: snapshot, lastChange: lastChange)
            return .wait
        }
        state = .watching(seen: snapshot)
        return .reload
    }

    /// True when a path present in both snapshots has a different fingerprint.
    static func differs(_ old: [String: FileFingerprint], _ new: [String: FileFingerprint]) -> Bool {
        new.contains { path, fingerprint in old[path].map { $0 != fingerprint } ?? false }
    }
}
