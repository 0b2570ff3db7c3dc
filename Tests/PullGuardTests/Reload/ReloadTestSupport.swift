import Foundation
import Synchronization
@testable import PullGuard

/// A scratch folder per test, removed by `remove()`.
struct ScratchDirectory {
    let url: URL

    init(_ name: String) throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("pullguard-\(name)-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: url.appendingPathComponent(name))
    }

    /// Truncates and rewrites in place (same inode), as `echo > file` or an editor without backups does.
    func rewriteInPlace(_ name: String, _ text: String) throws {
        let handle = try FileHandle(forWritingTo: url.appendingPathComponent(name))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Counts the elements of a watcher's stream from a task of its own, so a test can wait
/// for "at least one" with a deadline and then check that no second one came.
final class ChangeCounter: Sendable {
    private final class Count: Sendable {
        let atomic = Atomic<Int>(0)
    }

    private let count: Count
    private let consumer: Task<Void, Never>

    init(_ stream: AsyncStream<Void>) {
        let count = Count()
        self.count = count
        consumer = Task { for await _ in stream { count.atomic.add(1, ordering: .relaxed) } }
    }

    var value: Int { count.atomic.load(ordering: .relaxed) }

    /// Waits until at least `target` changes were reported or `limit` passed; returns the count.
    @discardableResult
    func wait(for target: Int = 1, limit: Duration = .seconds(10)) async -> Int {
        let deadline = ContinuousClock.now + limit
        while value < target, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return value
    }

    /// Stops consuming, which ends the watcher's polling.
    func stop() { consumer.cancel() }
}
