/// Reads the host name from a ClientHello's `server_name` extension (RFC 6066 §3).
///
/// PullGuard chooses the site from the ClientHello callback, before OpenSSL looks up a
/// session, so it reads the extension itself. It accepts exactly what OpenSSL 3.0's own
/// parser accepts (one `host_name` entry filling the list, 1 to 255 bytes, no NUL), so
/// the name a site is chosen by can never differ from the name OpenSSL acknowledges.
public enum ServerNameExtension {
    public enum ParseError: Error, Equatable, Sendable {
        /// Lengths that do not add up, or a name type other than `host_name`: `decode_error`.
        case malformed
        /// Empty, longer than 255 bytes, or containing NUL: `unrecognized_name`.
        case badName
    }

    static let hostNameType: UInt8 = 0
    static let maximumLength = 255

    /// The same, on an array (tests, and callers that hold one).
    public static func hostName(from bytes: [UInt8]) throws(ParseError) -> String {
        try bytes.withUnsafeBufferPointer { body throws(ParseError) in try hostName(from: body) }
    }

    /// Not generic on purpose: OpenSSL's ClientHello callback calls it from another module on
    /// every handshake, where a generic would run unspecialized (measured: +2% of a resumption).
    /// - Parameter body: the extension's body (after its type and length), as OpenSSL hands it over.
    /// - Returns: the name, lower-cased (DNS names compare case-insensitively).
    public static func hostName(from body: UnsafeBufferPointer<UInt8>) throws(ParseError) -> String {
        var cursor = body.startIndex
        func take(_ count: Int) throws(ParseError) -> Range<Int> {
            guard body.endIndex - cursor >= count else { throw .malformed }
            defer { cursor += count }
            return cursor..<(cursor + count)
        }
        func length16() throws(ParseError) -> Int {
            let bytes = try take(2)
            return Int(body[bytes.lowerBound]) << 8 | Int(body[bytes.lowerBound + 1])
        }
        let listLength = try length16()
        guard listLength == body.endIndex - cursor, listLength > 0 else { throw .malformed }
        let type = body[try take(1).lowerBound]
        guard type == hostNameType else { throw .malformed }
        let nameLength = try length16()
        guard nameLength == body.endIndex - cursor else { throw .malformed }
        let name = body[try take(nameLength)]
        guard !name.isEmpty, name.count <= maximumLength, !name.contains(0) else { throw .badName }
        return String(decoding: name, as: UTF8.self).lowercased()
    }
}
