/// Answers "is this header name one of these?" without allocating for the names that
/// are not: candidates are grouped by length, and a name of another length (most of
/// them) is rejected by one array lookup.
///
/// Why: the header rewrite runs twice per proxied request (request and response), and
/// lower-casing or normalizing every header name allocated a string each; a profile of
/// keep-alive requests put the header rewrite at ~9% of their CPU.
///
/// The tests are `@inlinable` so that every caller, in whichever target, gets a version
/// specialized for its byte collection: called unspecialized from another target, the
/// generic body looked up type metadata at run time for each header and cost ~8% of a
/// keep-alive request (docs/performance.md).
package struct HeaderNameMatcher: Sendable {
    /// Lower-cased (and, with `underscoreIsDash`, `_` → `-`) candidates; index = UTF-8 length.
    @usableFromInline let candidatesByLength: [[[UInt8]]]
    /// Compare `_` as `-`, for names in `HeaderNameForm`.
    @usableFromInline let underscoreIsDash: Bool

    /// - Parameter names: lower-case names (normalized ones when `underscoreIsDash`).
    package init(_ names: some Sequence<String>, underscoreIsDash: Bool = false) {
        var byLength: [[[UInt8]]] = []
        for name in names {
            let length = name.utf8.count
            if byLength.count <= length { byLength += Array(repeating: [], count: length + 1 - byLength.count) }
            byLength[length].append(Array(name.utf8))
        }
        candidatesByLength = byLength
        self.underscoreIsDash = underscoreIsDash
    }

    @inlinable
    package func matches(_ name: some StringProtocol) -> Bool {
        // A native string's bytes in one buffer: stepping through `String.UTF8View` byte by
        // byte made a header name's test ~60 instructions (callgrind).
        let utf8 = name.utf8
        if let result = utf8.withContiguousStorageIfAvailable({ matches(utf8: $0) }) { return result }
        return matches(utf8: utf8)
    }

    /// The same test on raw bytes (a token inside a header value, say).
    @inlinable
    package func matches(utf8 name: some Collection<UInt8>) -> Bool {
        let length = name.count
        guard length < candidatesByLength.count else { return false }
        // A plain loop, not `zip(...).allSatisfy`: those stdlib generics were left
        // unspecialized here once the matcher moved to its own target.
        for candidate in candidatesByLength[length] {
            var index = 0
            var equal = true
            for byte in name {
                if fold(byte) != candidate[index] {
                    equal = false
                    break
                }
                index += 1
            }
            if equal { return true }
        }
        return false
    }

    @inlinable
    func fold(_ byte: UInt8) -> UInt8 {
        if byte.isASCIIUppercase { return byte + 32 }
        if underscoreIsDash, byte == UInt8(ascii: "_") { return UInt8(ascii: "-") }
        return byte
    }
}
