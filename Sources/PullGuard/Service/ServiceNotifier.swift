#if canImport(Glibc)
import Glibc
#endif

/// Sends `sd_notify` datagrams to the service manager, without libsystemd: one
/// `sendto` on an `AF_UNIX` datagram socket to the path in `$NOTIFY_SOCKET` (an abstract
/// socket when it starts with `@`). Without `$NOTIFY_SOCKET` there is no notifier, so a
/// process not run by systemd (or with `Type=exec`) sends nothing.
///
/// A failed send is ignored, as sd_notify's callers usually do: the proxy serves either way,
/// and systemd reports a missing READY=1 itself when its start timeout passes.
public struct ServiceNotifier: Sendable {
    /// `sockaddr_un` bytes: the family, then the path (leading NUL for abstract), exactly
    /// as long as the name (an abstract name's length is part of the name).
    let address: [UInt8]

    /// The notifier for `$NOTIFY_SOCKET` in `environment`; nil when it is unset, empty, or
    /// not a unix socket name (systemd ≥ 254 also allows `vsock:`, which we do not support).
    public init?(environment: [String: String]) {
        guard let name = environment["NOTIFY_SOCKET"], let address = Self.socketAddress(name) else { return nil }
        self.address = address
    }

    /// The `sockaddr_un` for a `$NOTIFY_SOCKET` value, or nil if it cannot be one.
    static func socketAddress(_ name: String) -> [UInt8]? {
        let name = Array(name.utf8)
        guard let first = name.first, first == UInt8(ascii: "/") || first == UInt8(ascii: "@"), !name.contains(0)
        else { return nil }
        // An abstract name starts with NUL and needs no terminator; a path needs one.
        let path = first == UInt8(ascii: "@") ? [0] + name.dropFirst() : name + [0]
        guard path.count <= MemoryLayout.size(ofValue: sockaddr_un().sun_path) else { return nil }
        var family = sa_family_t(AF_UNIX)
        let familyBytes = withUnsafeBytes(of: &family) { Array($0) }
        return familyBytes + path
    }

    /// Sends one notification; true when the datagram went out.
    @discardableResult
    public func send(_ notification: ServiceNotification) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let message = Array(notification.text.utf8)
        var storage = sockaddr_un()
        let length = min(address.count, MemoryLayout<sockaddr_un>.size)
        withUnsafeMutableBytes(of: &storage) { raw in
            raw.copyBytes(from: address.prefix(length))
        }
        let sent = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                message.withUnsafeBytes { bytes in
                    sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), socketAddress, socklen_t(length))
                }
            }
        }
        return sent == message.count
    }
}
