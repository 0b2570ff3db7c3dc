import Foundation
import PullGuardCore
#if canImport(Glibc)
import Glibc
#endif

/// Where access-log lines go: a bounded buffer that the event loops append to and one
/// writer thread that empties it into a file descriptor.
///
/// Why a thread of its own: a `write(2)` to a file can block (a slow disk, a full pipe
/// behind stdout), and a blocked event loop stalls every connection on it. The loops
/// only copy a line into memory under a lock; when the writer has fallen behind and the
/// buffer is full, the line is dropped and the caller counts it
/// (`access_log_lines_dropped_total`): the proxy never waits for its log and never
/// grows without bound. The writer takes what accumulated at most every
/// `batchInterval`, so a busy proxy costs one wake-up and one `write` per batch, not per line.
public final class AccessLogSink: @unchecked Sendable {
    /// Bytes waiting for the writer before lines are dropped.
    public static let defaultCapacity = 4 * 1024 * 1024
    static let batchInterval: useconds_t = 20_000

    private let condition = NSCondition()
    private let capacity: Int
    // Guarded by `condition`.
    private var pending: [UInt8] = []
    private var writerWaiting = false
    private var stopping = false
    private var reopenRequested = false
    private var destination: AccessLogSettings.Destination
    private var descriptor: Int32
    /// A destination a reload asked for, not yet taken over by the writer, with the lines
    /// queued before the request: those still go to the old place, later ones to the new.
    private var replacement: (destination: AccessLogSettings.Destination, descriptor: Int32, earlier: [UInt8])?
    private var finished = false
    /// The writer thread runs from the first destination that is not `off`: a process
    /// with the access log off (the default) has no thread for it.
    private var writerStarted = false
    private var onProblem: @Sendable (String) -> Void = { _ in }

    /// Opens the destination at once, so a path that cannot be written is reported when
    /// the configuration is applied, not at the first request.
    /// - Throws: `AccessLogOpenError` naming the file and the reason.
    public init(destination: AccessLogSettings.Destination, capacity: Int = defaultCapacity) throws {
        self.capacity = capacity
        self.destination = destination
        descriptor = try Self.open(destination)
        if destination != .off { startWriter() }
    }

    /// Called once, under `condition` or before the sink is shared.
    private func startWriter() {
        writerStarted = true
        let thread = Thread { [self] in runWriter() }
        thread.name = "pullguard-access-log"
        thread.start()
    }

    /// Where problems of the writer (a failed reopen or write) are reported; the runner logs them.
    public func reportProblems(to handler: @escaping @Sendable (String) -> Void) {
        condition.lock()
        onProblem = handler
        condition.unlock()
    }

    /// Queues one finished line. False: the buffer is full (or the sink is off) and the
    /// line was dropped.
    @discardableResult
    public func append(_ line: [UInt8]) -> Bool {
        condition.lock()
        guard !stopping, pending.count + line.count <= capacity else {
            condition.unlock()
            return false
        }
        guard writerStarted else {
            // `off` from the start: the line goes nowhere, as it would through a writer.
            condition.unlock()
            return true
        }
        pending.append(contentsOf: line)
        let wake = writerWaiting
        if wake { writerWaiting = false }
        condition.unlock()
        if wake { condition.signal() }
        return true
    }

    /// Closes and opens the file again, by the same path, after writing what is queued:
    /// logrotate renamed it (`SIGUSR1`, nginx's convention).
    public func reopen() {
        condition.lock()
        reopenRequested = true
        condition.unlock()
        condition.signal()
    }

    /// Sends later lines elsewhere (a reload changed `access_log.path`). The new place is
    /// opened here, before anything changes; lines queued before go to the old one.
    /// - Throws: `AccessLogOpenError` when the new place cannot be opened; nothing changes then.
    public func retarget(_ newDestination: AccessLogSettings.Destination) throws {
        condition.lock()
        let current = replacement?.destination ?? destination
        condition.unlock()
        guard newDestination != current else { return }
        let newDescriptor = try Self.open(newDestination)
        condition.lock()
        // Two reloads before the writer took the first: the first's place is never used.
        var earlier = replacement?.earlier ?? []
        if let old = replacement { Self.close(old.descriptor) }
        earlier += pending
        pending = []
        replacement = (newDestination, newDescriptor, earlier)
        if !writerStarted, !stopping { startWriter() }
        condition.unlock()
        condition.signal()
    }

    /// Writes everything queued, then stops the writer and closes the file. Later lines are dropped.
    public func close() {
        condition.lock()
        stopping = true
        if !writerStarted {
            // Nothing was ever queued (`append` needs a destination to go anywhere): only
            // what was opened is closed.
            finished = true
            Self.close(descriptor)
            if let replacement { Self.close(replacement.descriptor) }
        }
        condition.signal()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func runWriter() {
        while true {
            condition.lock()
            while pending.isEmpty && !stopping && !reopenRequested && replacement == nil {
                writerWaiting = true
                condition.wait()
            }
            writerWaiting = false
            var batch: [UInt8] = []
            swap(&batch, &pending)
            let reopen = reopenRequested
            reopenRequested = false
            let next = replacement
            replacement = nil
            let stop = stopping
            let report = onProblem
            let target = descriptor
            condition.unlock()

            var current = target
            if let next {
                if !next.earlier.isEmpty, let problem = Self.writeAll(next.earlier, to: target) {
                    report("access log: \(problem)")
                }
                Self.close(target)
                condition.lock()
                destination = next.destination
                descriptor = next.descriptor
                condition.unlock()
                current = next.descriptor
            }
            if !batch.isEmpty, let problem = Self.writeAll(batch, to: current) { report("access log: \(problem)") }
            if next == nil, reopen, case .file(let path) = destination {
                do {
                    let reopened = try Self.open(.file(path))
                    Self.close(target)
                    condition.lock()
                    descriptor = reopened
                    condition.unlock()
                } catch {
                    report("\(error); still writing to the file opened before")
                }
            }
            if stop {
                condition.lock()
                let rest = pending
                pending = []
                let last = descriptor
                condition.unlock()
                if !rest.isEmpty, let problem = Self.writeAll(rest, to: last) { report("access log: \(problem)") }
                Self.close(last)
                condition.lock()
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            usleep(Self.batchInterval)
        }
    }

    private static func open(_ destination: AccessLogSettings.Destination) throws -> Int32 {
        switch destination {
        case .off: return -1
        case .stdout: return STDOUT_FILENO
        case .stderr: return STDERR_FILENO
        case .file(let path):
            let descriptor = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
            guard descriptor >= 0 else {
                throw AccessLogOpenError(path: path, reason: String(cString: strerror(errno)))
            }
            return descriptor
        }
    }

    private static func close(_ descriptor: Int32) {
        if descriptor > STDERR_FILENO { _ = Glibc.close(descriptor) }
    }

    /// Writes all of `bytes`, retrying short writes and EINTR; the reason when it could not.
    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> String? {
        guard descriptor >= 0 else { return nil }
        var offset = 0
        return bytes.withUnsafeBytes { buffer in
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return "write failed (\(String(cString: strerror(errno)))); \(buffer.count - offset) bytes lost"
                }
                offset += written
            }
            return nil
        }
    }
}

/// The access log's file could not be opened for appending.
public struct AccessLogOpenError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "cannot open the access log \(path) for appending: \(reason)" }
}
