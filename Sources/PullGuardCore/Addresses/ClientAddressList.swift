import NIOCore

/// `client_ips`: the client addresses a listener accepts a connection from, checked at
/// accept before any TLS byte is read. Absent (nil in the settings) means every address.
///
/// An IPv4 client reaching an IPv6 (dual-stack) socket shows up as `::ffff:a.b.c.d`;
/// it is looked up as the IPv4 address it is, so `192.0.2.0/24` admits it whichever
/// socket it came through. IPv6 entries that cover part of `::ffff:0:0/96` are folded
/// into the IPv4 ranges for the same reason.
public struct ClientAddressList: Sendable, Hashable {
    public private(set) var ipv4: AddressRanges<UInt32>
    public private(set) var ipv6: AddressRanges<UInt128>
    /// The entries as given, for `/config` and logs.
    public var entries: [ClientCIDR]
    /// Files the entries were read from (absolute paths), so a watcher reloads when one changes.
    public var files: [String]

    /// `::ffff:0:0/96`, where IPv4-mapped addresses live.
    static let mappedPrefix: UInt128 = 0xffff << 32

    public init(_ entries: [ClientCIDR], files: [String] = []) {
        self.entries = entries
        self.files = files
        var v4: [ClosedRange<UInt32>] = []
        var v6: [ClosedRange<UInt128>] = []
        for entry in entries {
            switch entry {
            case .v4:
                v4.append(entry.ipv4Range!)
            case .v6(let address, let prefix):
                v6.append(entry.ipv6Range!)
                if prefix >= 96, address >> 32 == Self.mappedPrefix >> 32 {
                    // Entirely inside the mapped block: the IPv4 network it spells.
                    v4.append(ClientCIDR.v4(address: UInt32(truncatingIfNeeded: address), prefix: prefix - 96).ipv4Range!)
                } else if prefix < 96, Self.mappedPrefix & ClientCIDR.mask128(prefix) == address {
                    // Covers the whole mapped block (`::/0`, `::/64`, ...): every IPv4 address.
                    v4.append(0...UInt32.max)
                }
            }
        }
        ipv4 = AddressRanges(v4)
        ipv6 = AddressRanges(v6)
    }

    @inlinable
    public func contains(ipv4 address: UInt32) -> Bool { ipv4.contains(address) }

    /// IPv4-mapped addresses are looked up as IPv4.
    @inlinable
    public func contains(ipv6 address: UInt128) -> Bool {
        if address >> 32 == 0xffff { return ipv4.contains(UInt32(truncatingIfNeeded: address)) }
        return ipv6.contains(address)
    }

    /// Whether a connection from `address` is admitted. A peer without an IP address
    /// (a Unix socket, or an address the kernel no longer reports) is refused: fail closed.
    public func admits(_ address: SocketAddress?) -> Bool {
        switch address {
        case .v4(let v4):
            return contains(ipv4: UInt32(bigEndian: v4.address.sin_addr.s_addr))
        case .v6(let v6):
            var sin6 = v6.address.sin6_addr
            let value = withUnsafeBytes(of: &sin6) { bytes in
                bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) }
            }
            return contains(ipv6: value)
        default:
            return false
        }
    }
}
