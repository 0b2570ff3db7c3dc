import NIOCore
import Testing
@testable import PullGuardCore

/// Matching a client address against `client_ips`: range edges, merging, IPv4-mapped
/// IPv6 addresses, and the socket addresses the acceptor hands over.
@Suite struct ClientAddressListTests {
    static func list(_ entries: String...) throws -> ClientAddressList {
        ClientAddressList(try entries.map { try ClientCIDR(parsing: $0) })
    }

    static func admits(_ list: ClientAddressList, _ ip: String) throws -> Bool {
        list.admits(try SocketAddress(ipAddress: ip, port: 443))
    }

    @Test func ipv4EdgesOfANetwork() throws {
        let list = try Self.list("198.51.100.0/22", "203.0.113.7")
        for inside in ["198.51.100.0", "198.51.103.255", "198.51.101.17", "203.0.113.7"] {
            #expect(try Self.admits(list, inside), "\(inside)")
        }
        for outside in ["198.51.99.255", "198.51.104.0", "203.0.113.6", "203.0.113.8", "0.0.0.0", "255.255.255.255"] {
            #expect(try !Self.admits(list, outside), "\(outside)")
        }
    }

    @Test func ipv6EdgesOfANetwork() throws {
        let list = try Self.list("2001:db8::/32", "::1")
        #expect(try Self.admits(list, "2001:db8::"))
        #expect(try Self.admits(list, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"))
        #expect(try Self.admits(list, "::1"))
        #expect(try !Self.admits(list, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"))
        #expect(try !Self.admits(list, "2001:db9::"))
        #expect(try !Self.admits(list, "::2"))
        #expect(try !Self.admits(list, "::"))
    }

    /// An IPv4 client on a dual-stack socket arrives as `::ffff:a.b.c.d`.
    @Test func mappedAddressesMatchIPv4Entries() throws {
        let list = try Self.list("192.0.2.0/24")
        #expect(try Self.admits(list, "::ffff:192.0.2.9"))
        #expect(try !Self.admits(list, "::ffff:192.0.3.9"))
        // Not mapped: the IPv4-compatible form (deprecated) and NAT64 are other addresses.
        #expect(try !Self.admits(list, "::192.0.2.9"))
        #expect(try !Self.admits(list, "64:ff9b::192.0.2.9"))
    }

    /// An IPv6 entry inside `::ffff:0:0/96` is the IPv4 network it spells, whichever socket the client came by.
    @Test func mappedEntriesMatchIPv4Clients() throws {
        let list = try Self.list("::ffff:192.0.2.0/120")
        #expect(try Self.admits(list, "192.0.2.200"))
        #expect(try Self.admits(list, "::ffff:192.0.2.200"))
        #expect(try !Self.admits(list, "192.0.3.0"))
        let everything = try Self.list("::/0")
        #expect(try Self.admits(everything, "203.0.113.1"))
        #expect(try Self.admits(everything, "2001:db8::1"))
        let unrelated = try Self.list("2001:db8::/32")
        #expect(try !Self.admits(unrelated, "203.0.113.1"))
    }

    @Test func overlappingAndTouchingRangesMerge() throws {
        let list = try Self.list("10.0.0.0/24", "10.0.1.0/24", "10.0.0.128/25", "10.0.3.0/24", "0.0.0.0/32",
                                 "255.255.255.255/32", "255.255.255.254/32")
        #expect(list.ipv4.count == 4)
        #expect(list.ipv4.lowers == [0, 0x0A00_0000, 0x0A00_0300, 0xFFFF_FFFE])
        #expect(try Self.admits(list, "10.0.1.255"))
        #expect(try !Self.admits(list, "10.0.2.0"))
        #expect(try Self.admits(list, "0.0.0.0"))
        #expect(try !Self.admits(list, "0.0.0.1"))
        #expect(try Self.admits(list, "255.255.255.255"))
        let all = AddressRanges<UInt32>([0...UInt32.max, 5...7])
        #expect(all.count == 1 && all.contains(0) && all.contains(.max))
    }

    /// Against a straightforward scan of the entries, for many addresses near every edge.
    @Test func bisectionAgreesWithALinearScan() throws {
        let entries = try ["10.0.0.0/8", "10.1.0.0/16", "172.16.0.0/12", "192.168.1.0/24", "192.168.3.0/24",
                           "100.64.0.0/10", "1.1.1.1/32"].map { try ClientCIDR(parsing: $0) }
        let list = ClientAddressList(entries)
        let ranges = entries.compactMap(\.ipv4Range)
        var probes: [UInt32] = [0, 1, .max, .max - 1]
        for range in ranges {
            for edge in [range.lowerBound, range.upperBound] { probes += [edge &- 1, edge, edge &+ 1] }
        }
        for probe in probes {
            #expect(list.contains(ipv4: probe) == ranges.contains { $0.contains(probe) }, "\(probe)")
        }
    }

    @Test func familiesAreKeptApart() throws {
        let list = try Self.list("0.0.0.0/0")
        #expect(try !Self.admits(list, "2001:db8::1"))
        #expect(try Self.admits(list, "::ffff:8.8.8.8"))
    }

    /// Fail closed: no address, or a Unix socket peer, is not admitted by a list.
    @Test func peerWithoutAnIPAddressIsRefused() throws {
        let list = try Self.list("0.0.0.0/0", "::/0")
        #expect(!list.admits(nil))
        #expect(!list.admits(try SocketAddress(unixDomainSocketPath: "/tmp/pullguard-test.sock")))
    }
}
