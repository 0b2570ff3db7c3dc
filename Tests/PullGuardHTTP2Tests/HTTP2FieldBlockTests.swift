import Testing
@testable import PullGuardHTTP2

/// A response header block as nghttp2 gets it: names lower-cased (RFC 9113 §8.2.1),
/// values byte for byte.
@Suite struct HTTP2FieldBlockTests {
    func pairs(_ block: HTTP2FieldBlock) -> [String] {
        block.spans.map { span in
            let name = String(decoding: block.bytes[span.name..<(span.name + span.nameLength)], as: UTF8.self)
            let value = String(decoding: block.bytes[span.value..<(span.value + span.valueLength)], as: UTF8.self)
            return "\(name): \(value)"
        }
    }

    @Test func namesAreLowerCasedAndValuesKept() {
        var block = HTTP2FieldBlock(status: 200, capacity: 8)
        block.append(name: "Content-Type", value: "Text/HTML")
        block.append(name: "X-AZaz@[`{", value: "")
        block.append(name: "set-cookie", value: "A=B; Path=/")
        #expect(pairs(block) == [":status: 200", "content-type: Text/HTML", "x-azaz@[`{: ", "set-cookie: A=B; Path=/"])
    }
}
