/// Header fields already in their HTTP/1.1 form, `name: value` and CRLF each, checked
/// once when made.
///
/// The fields PullGuard adds for a connection's verdict (the identity headers) are the
/// same on every request of that connection. They are encoded with the connection and
/// copied whole into each request head (`HTTP1RequestWriter.writeHead(_:appending:into:)`):
/// carried through the request rewrite as strings, they were copied, wrapped and checked
/// byte by byte on every request, ~6.5% of a request's instructions (docs/performance.md).
public struct HTTP1FieldLines: Sendable {
    public private(set) var bytes: [UInt8] = []
    /// The first field that could not be encoded: a name that is not a token or names a
    /// framing field, or a value with a byte no field value may hold. A head is never
    /// written with such lines (`HTTP1RequestError.invalidHeader`), as a head whose own
    /// field breaks the same rule is not; the fields before it are kept in `bytes`.
    public private(set) var refusedName: String?

    public static let none = HTTP1FieldLines([])

    public init(_ fields: [(String, String)]) {
        bytes.reserveCapacity(fields.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count + 4 })
        for (name, value) in fields where !append(name: name, value: value) {
            refusedName = name
            return
        }
    }

    private mutating func append(name: String, value: String) -> Bool {
        // Framing is decided by the request's own fields (`RequestFraming`); a framing
        // field here would stand beside the one the writer reads.
        guard !RequestFraming.contentLengthName.matches(name), !RequestFraming.transferEncodingName.matches(name)
        else { return false }
        var name = name
        var value = value
        guard name.withUTF8({ UnsafeRawBufferPointer($0).isToken }),
              value.withUTF8({ UnsafeRawBufferPointer($0).isFieldValue }) else { return false }
        bytes += name.utf8
        bytes += [UInt8(ascii: ":"), UInt8(ascii: " ")]
        bytes += value.utf8
        bytes += [.carriageReturn, .lineFeed]
        return true
    }
}
