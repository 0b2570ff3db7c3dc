/// Makes request ids: 32 lower-case hex digits (128 bits), the form of nginx's `$request_id`.
///
/// A SplitMix64 sequence from a random seed rather than the system generator per id: the
/// system generator is a `getrandom` call, once per id on the request path. Ids need to
/// be unique, not secret, and a 128-bit value from a random 64-bit seed repeats across
/// connections with negligible probability. One generator per connection, seeded on its
/// first request.
public struct RequestIDGenerator {
    private var state: UInt64

    public init<Source: RandomNumberGenerator>(seededBy source: inout Source) {
        state = source.next()
    }

    public init() {
        var system = SystemRandomNumberGenerator()
        self.init(seededBy: &system)
    }

    public mutating func next() -> String {
        let high = mix()
        let low = mix()
        return String(unsafeUninitializedCapacity: 32) { out in
            let digits: StaticString = "0123456789abcdef"
            digits.withUTF8Buffer { hex in
                for index in 0..<16 {
                    out[index] = hex[Int((high >> UInt64(60 - index * 4)) & 0xF)]
                    out[16 + index] = hex[Int((low >> UInt64(60 - index * 4)) & 0xF)]
                }
            }
            return 32
        }
    }

    private mutating func mix() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
