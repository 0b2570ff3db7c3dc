import Testing
@testable import PullGuardCore

/// The SNI read from the raw ClientHello extension accepts what OpenSSL accepts, nothing more.
@Suite struct ServerNameExtensionTests {
    /// One entry of `type`, with `name`, inside a list whose length is `listLength` (correct by default).
    func body(_ name: [UInt8], type: UInt8 = 0, listLength: Int? = nil, trailing: [UInt8] = []) -> [UInt8] {
        let entry = [type, UInt8(name.count >> 8), UInt8(name.count & 0xff)] + name + trailing
        let length = listLength ?? entry.count
        return [UInt8(length >> 8), UInt8(length & 0xff)] + entry
    }

    @Test func hostNameIsReadAndLowerCased() throws {
        #expect(try ServerNameExtension.hostName(from: body(Array("Admin.Example.COM".utf8))) == "admin.example.com")
    }

    @Test func listLengthMustCoverTheEntryExactly() {
        #expect(throws: ServerNameExtension.ParseError.malformed) {
            try ServerNameExtension.hostName(from: self.body(Array("a.test".utf8), listLength: 3))
        }
        #expect(throws: ServerNameExtension.ParseError.malformed) {
            try ServerNameExtension.hostName(from: [0x00])
        }
    }

    @Test func aSecondEntryIsRefusedLikeOpenSSLDoes() {
        // Two names would let a parser that reads the first and one that reads the last disagree.
        let second: [UInt8] = [0, 0, 6] + Array("b.test".utf8)
        #expect(throws: ServerNameExtension.ParseError.malformed) {
            try ServerNameExtension.hostName(from: self.body(Array("a.test".utf8), trailing: second))
        }
    }

    @Test func otherNameTypesAreRefused() {
        #expect(throws: ServerNameExtension.ParseError.malformed) {
            try ServerNameExtension.hostName(from: self.body(Array("a.test".utf8), type: 1))
        }
    }

    @Test func emptyLongAndNULNamesAreRefused() {
        #expect(throws: ServerNameExtension.ParseError.badName) { try ServerNameExtension.hostName(from: self.body([])) }
        #expect(throws: ServerNameExtension.ParseError.badName) {
            try ServerNameExtension.hostName(from: self.body([UInt8](repeating: 0x61, count: 256)))
        }
        #expect(throws: ServerNameExtension.ParseError.badName) {
            try ServerNameExtension.hostName(from: self.body(Array("b.test\u{0}.a.test".utf8)))
        }
    }
}
