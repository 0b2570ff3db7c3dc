import Testing
@testable import PullGuardCore

/// `client_ips` entries as text: what is accepted, what is refused and how it is reported.
@Suite struct ClientCIDRTests {
    @Test(arguments: [
        ("192.0.2.0/24", ClientCIDR.v4(address: 0xC000_0200, prefix: 24)),
        ("192.0.2.7", .v4(address: 0xC000_0207, prefix: 32)),
        ("0.0.0.0/0", .v4(address: 0, prefix: 0)),
        ("255.255.255.255/32", .v4(address: 0xFFFF_FFFF, prefix: 32)),
        ("2001:db8::/32", .v6(address: UInt128(0x2001_0db8) << 96, prefix: 32)),
        ("::1", .v6(address: 1, prefix: 128)),
        ("::/0", .v6(address: 0, prefix: 0)),
        ("2001:DB8:0:0:0:0:0:1", .v6(address: UInt128(0x2001_0db8) << 96 | 1, prefix: 128)),
        ("::ffff:192.0.2.7", .v6(address: UInt128(0xffff) << 32 | 0xC000_0207, prefix: 128)),
        ("::ffff:192.0.2.0/120", .v6(address: UInt128(0xffff) << 32 | 0xC000_0200, prefix: 120)),
        ("1::", .v6(address: UInt128(1) << 112, prefix: 128)),
        ("1:2:3:4:5:6:7::", .v6(address: UInt128(0x0001_0002_0003_0004_0005_0006_0007_0000), prefix: 128)),
    ])
    func parses(text: String, expected: ClientCIDR) throws {
        #expect(try ClientCIDR(parsing: text) == expected)
    }

    @Test(arguments: [
        "", "/24", "192.0.2.0/", "192.0.2.0/33", "192.0.2.0/-1", "192.0.2.0/+8", "192.0.2.0/08", "192.0.2/24",
        "10.1", "010.0.0.1", "1.2.3.256", "1.2.3.4.5", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4/24 ", "a.b.c.d",
        "::1/129", ":::", "1:::2", "1::2::3", ":1::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::",
        "fe80::1%eth0", "::ffff:1.2.3", "g::", "1:2:3:4:5:6:7:8::", "::1.2.3.4:5", "localhost", "cloudflar",
        "１.2.3.4", "+1::",
    ])
    func refuses(text: String) {
        #expect(throws: ClientCIDR.ParseError.self) { try ClientCIDR(parsing: text) }
    }

    /// Host bits after the prefix are an error naming the network that was probably meant
    /// (nginx widens `10.0.0.1/8` to `10.0.0.0/8` with a warning; an allow-list must not guess).
    @Test func hostBitsAreAnErrorThatNamesTheNetwork() {
        #expect(throws: ClientCIDR.ParseError(message:
            "'10.0.0.1/8' has bits set after the /8 prefix; write the network, 10.0.0.0/8")) {
            try ClientCIDR(parsing: "10.0.0.1/8")
        }
        #expect(throws: ClientCIDR.ParseError(message:
            "'2001:db8::1/32' has bits set after the /32 prefix; write the network, 2001:db8::/32")) {
            try ClientCIDR(parsing: "2001:db8::1/32")
        }
    }

    @Test func describesInCanonicalForm() throws {
        // RFC 5952 §4.2.3: the longest run of zero groups is shortened, the first one when tied.
        #expect(try ClientCIDR(parsing: "2001:0DB8:0:0:1:0:0:0/128").description == "2001:db8:0:0:1::/128")
        #expect(try ClientCIDR(parsing: "2001:db8:0:0:1:0:0:1").description == "2001:db8::1:0:0:1/128")
        #expect(try ClientCIDR(parsing: "0:0:1::").description == "0:0:1::/128")
        #expect(try ClientCIDR(parsing: "::").description == "::/128")
        #expect(try ClientCIDR(parsing: "1:0:2:3:4:5:6:7").description == "1:0:2:3:4:5:6:7/128")
        #expect(try ClientCIDR(parsing: "198.51.100.0/22").description == "198.51.100.0/22")
    }
}
