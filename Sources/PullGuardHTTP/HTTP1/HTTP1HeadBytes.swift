/// A message head's bytes, written into space reserved for exactly them: the request
/// writer's heads and the response writer's (`HTTP1ResponseWriter`).
struct HeadBytes {
    /// `literal`: PullGuard's own text, copied unchecked.
    enum Rule { case token, target, fieldValue, literal }
    /// What a header name says about the body's framing.
    enum FramingName { case contentLength, transferEncoding, other }

    let storage: UnsafeMutableRawBufferPointer
    var count = 0

    mutating func append(byte: UInt8) {
        // A miscounted size traps here, in release builds too, instead of writing past the space.
        precondition(count < storage.count, "head longer than counted")
        storage[count] = byte
        count += 1
    }

    /// Copies a header name (a token), and tells whether it is one of the two framing
    /// fields, matched on the bytes already in hand: a second pass over the names for
    /// this cost ~2% of an HTTP/2 request's instructions (callgrind). Nil when the name
    /// is not a token.
    mutating func append(name: String) -> FramingName? {
        var name = name
        return name.withUTF8 { bytes in
            guard UnsafeRawBufferPointer(bytes).isToken else { return nil }
            copy(bytes)
            if RequestFraming.contentLengthName.matches(utf8: bytes) { return .contentLength }
            if RequestFraming.transferEncodingName.matches(utf8: bytes) { return .transferEncoding }
            return .other
        }
    }

    /// Copies `text`, false at its first byte the rule does not allow (an empty token
    /// or target is refused too). On the string's contiguous bytes: checked in one loop,
    /// copied in one `memcpy` (a byte-by-byte copy through `String.UTF8View` cost ~60
    /// instructions a byte under callgrind).
    @discardableResult
    mutating func append(_ text: String, _ rule: Rule) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            switch rule {
            case .token:
                guard UnsafeRawBufferPointer(bytes).isToken else { return false }
            case .target:
                guard !bytes.isEmpty else { return false }
                for byte in bytes where byte <= 0x20 || byte == 0x7F { return false }
            case .fieldValue:
                guard UnsafeRawBufferPointer(bytes).isFieldValue else { return false }
            case .literal:
                break
            }
            copy(bytes)
            return true
        }
    }

    mutating func copy(_ bytes: UnsafeBufferPointer<UInt8>) {
        // A miscounted size traps here, in release builds too, instead of writing past the space.
        precondition(count + bytes.count <= storage.count, "head longer than counted")
        UnsafeMutableRawBufferPointer(rebasing: storage[count..<(count + bytes.count)]).copyMemory(from: UnsafeRawBufferPointer(bytes))
        count += bytes.count
    }

    mutating func copy(_ bytes: UnsafeRawBufferPointer) {
        copy(bytes.assumingMemoryBound(to: UInt8.self))
    }
}
