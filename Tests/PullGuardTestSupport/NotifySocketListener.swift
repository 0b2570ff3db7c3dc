import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What systemd does for `Type=notify`: a unix datagram socket bound at a path (or an
/// abstract name), whose datagrams the test reads one by one with a time limit.
public final class NotifySocketListener {
    private let descriptor: Int32
    /// The `$NOTIFY_SOCKET` value naming this socket (`/path` or `@name`).
    public let notifySocket: String
    private let path: String?

    /// `abstract`: bind in the abstract namespace (`@name`) instead of at a path in `directory`.
    public init(directory: URL, abstract: Bool = false) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let name: [UInt8]
        if abstract {
            let label = "pullguard-test-notify-\(getpid())-\(UUID().uuidString.prefix(8))"
            notifySocket = "@" + label
            path = nil
            name = [0] + Array(label.utf8)
        } else {
            let file = directory.appendingPathComponent("notify.sock").path
            notifySocket = file
            path = file
            name = Array(file.utf8) + [0]
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: name) }
        let length = socklen_t(MemoryLayout.offset(of: \sockaddr_un.sun_path)! + name.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else {
            let error = errno
            close(descriptor)
            throw POSIXError(POSIXErrorCode(rawValue: error) ?? .EIO)
        }
    }

    deinit {
        close(descriptor)
        if let path { unlink(path) }
    }

    /// The next datagram's text, or nil when none arrives within `seconds`.
    public func next(within seconds: Int = 10) -> String? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(seconds * 1000)) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }
}
