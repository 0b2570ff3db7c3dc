import PullGuardCore

/// Makes request ids: 32 lower-case hex digits (128 bits), the form of nginx's `$request_id`.
///
/// A `SplitMix64` sequence from a random seed rather than the system generator per id: the
/// system generator is a `getrandom` call, once per id on the request path. Ids need to
/// be unique, not secret, and a 128-bit value from a random 64-bit seed repeats across
/// connections with negligible probability. One generator per connection, seeded on its
/// first request.
public struct RequestIDGenerator {
    private var generator: SplitMix64

    public init<Source: RandomNumberGenerator>(seededBy source: inout Source) {
        generator = SplitMix64(seed: source.next())
    }

    public init() {
        var system = SystemRandomNumberGenerator()
        self.init(seededBy: &system)
    }

    public mutating func next() -> String {
        let high = generator.next()
        let low = generator.next()
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
}
