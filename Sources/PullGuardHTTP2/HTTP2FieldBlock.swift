/// A response header block on its way to `nghttp2_submit_response`: every name and value
/// in one byte array, names lower-cased as they are copied (RFC 9113 §8.2.1).
///
/// Why: the response head used to go through an array of `(String, String)` pairs, each
/// name lower-cased into a new string, then copied again into the C form; with the header
/// rewrite, that was ~4% of an HTTP/2 request's CPU (docs/performance.md).
package struct HTTP2FieldBlock {
    private(set) var bytes: [UInt8] = []
    /// Offsets and lengths of each name and value in `bytes`.
    private(set) var spans: [(name: Int, nameLength: Int, value: Int, valueLength: Int)] = []

    /// Starts with `:status`.
    package init(status: Int, capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
        spans.reserveCapacity(12)
        append(name: ":status", value: String(status))
    }

    /// `name` is copied lower-cased.
    package mutating func append(name: String, value: String) {
        var name = name
        var value = value
        name.withUTF8 { name in
            value.withUTF8 { value in append(name: UnsafeRawBufferPointer(name), value: UnsafeRawBufferPointer(value)) }
        }
    }

    /// The same from bytes (an upstream response's head, `UpstreamResponseHead`).
    package mutating func append(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        let nameStart = bytes.count
        // Copied whole, then lower-cased in place: appended byte by byte, each byte paid
        // for the array's capacity and uniqueness checks.
        bytes.append(contentsOf: name)
        let valueStart = bytes.count
        bytes.withUnsafeMutableBufferPointer { all in
            for index in nameStart..<valueStart where all[index] >= UInt8(ascii: "A") && all[index] <= UInt8(ascii: "Z") {
                all[index] += 32
            }
        }
        bytes.append(contentsOf: value)
        spans.append((nameStart, valueStart - nameStart, valueStart, bytes.count - valueStart))
    }
}
