import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a pipe to its end on a thread of its own, into `data`.
///
/// Not `FileHandle.readabilityHandler`: that installs a dispatch read source, and removing
/// it while the pipe's descriptor was being closed crashed the whole test process inside
/// libdispatch (`_dispatch_event_loop_drain`, in a CI run with many child processes). A
/// blocking `read(2)` on a plain thread has no such race.
public final class PipeReader: @unchecked Sendable {
    // `@unchecked Sendable`: `data` locks itself; `handle` and `ended` are only read.
    public let data = LockedData()
    /// Kept so the descriptor stays open while the thread reads it.
    private let handle: FileHandle
    private let ended = DispatchSemaphore(value: 0)

    public init(_ handle: FileHandle) {
        self.handle = handle
        let descriptor = handle.fileDescriptor
        let data = self.data
        let ended = self.ended
        // The thread holds the handle: its descriptor stays open (never closed and reused
        // under a blocked read) until the read ends.
        let thread = Thread { [handle] in
            defer { withExtendedLifetime(handle) {} }
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count > 0 {
                    data.append(Data(buffer[0..<count]))
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            ended.signal()
        }
        thread.start()
    }

    /// Waits until the writing side closed its end (the process exited), at most `timeout`;
    /// false when it did not (a grandchild still holds the pipe): `data` is what came so far.
    @discardableResult
    public func waitForEnd(timeout: TimeInterval) -> Bool {
        ended.wait(timeout: .now() + timeout) == .success
    }
}
