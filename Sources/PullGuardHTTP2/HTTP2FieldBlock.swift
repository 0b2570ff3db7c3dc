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
        let nameStart = bytes.count
        var name = name
        // Copied whole, then lower-cased in place: appended byte by byte, each byte paid
        // for the array's capacity and uniqueness checks.
        name.withUTF8 { bytes.append(contentsOf: $0) }
        let valueStart = bytes.count
        bytes.withUnsafeMutableBufferPointer { all in
            for index in nameStart..<valueStart where all[index] >= UInt8(ascii: "A") && all[index] <= UInt8(ascii: "Z") {
                all[index] += 32
            }
        }
        var value = value
        value.withUTF8 { bytes.append(contentsOf: $0) }
        spans.append((nameStart, valueStart - nameStart, valueStart, bytes.count - valueStart))
    }
}
