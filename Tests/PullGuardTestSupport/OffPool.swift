import Foundation

/// Blocking test work (a child process to wait for, a pipe to read) on a thread of its own:
/// Swift's cooperative pool has one thread per core (two here), and a test that holds one
/// stalls every other test's timers, long enough for a server under test to time a
/// connection out.
public enum OffPool {
    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }
}
