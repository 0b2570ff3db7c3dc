/// The values of a connection's open HTTP/2 streams, by stream id: a hash table of its
/// own, in place of `[Int32: Value]`.
///
/// Why: an HTTP/2 request looks its stream up ~17 times across the handler, the
/// connection state machine and nghttp2's response queues; `Dictionary` hashes every
/// key with SipHash (~120 instructions a look-up in callgrind, ~2,000 of an HTTP/2
/// request's). Stream ids are positive `Int32`s, so a multiplicative hash of the id
/// and linear probing do (a look-up is tens of instructions).
///
/// Flooding: the hash is not seeded, so a client choosing stream ids could make them
/// collide. What it can gain is bounded: a table holds at most the connection's open
/// streams (`max_concurrent_streams`, 128 by default), so a probe is at most that long.
public struct StreamTable<Value> {
    /// 0 marks an empty slot (0 is never a stream's id: it is the connection's).
    private var keys: [Int32]
    private var slots: [Value?]
    public private(set) var count = 0
    /// `keys.count - 1`; the capacity is a power of two.
    private var mask: Int

    public init() {
        keys = Array(repeating: 0, count: 16)
        slots = Array(repeating: nil, count: 16)
        mask = 15
    }

    public var isEmpty: Bool { count == 0 }

    /// The open streams' values, in no particular order.
    public var values: [Value] { slots.compactMap { $0 } }

    public subscript(id: Int32) -> Value? {
        get {
            guard let index = find(id) else { return nil }
            return slots[index]
        }
        set {
            if let newValue {
                insert(id, newValue)
            } else {
                removeValue(forKey: id)
            }
        }
    }

    /// Changes the value of `id` in place; nil when there is none.
    public mutating func modify<Result>(_ id: Int32, _ body: (inout Value) -> Result) -> Result? {
        guard let index = find(id) else { return nil }
        // In place: a value with buffers of its own (a queue) is not copied.
        return body(&slots[index]!)
    }

    @discardableResult
    public mutating func removeValue(forKey id: Int32) -> Value? {
        guard var hole = find(id) else { return nil }
        let removed = slots[hole].take()
        keys[hole] = 0
        count -= 1
        // Backward-shift deletion: later entries of the same probe run move up into the
        // hole, so no tombstone is left and a look-up stops at the first empty slot.
        var next = (hole + 1) & mask
        while keys[next] != 0 {
            let home = Self.home(keys[next], mask)
            // The entry at `next` may fill the hole if its home is not inside (hole, next].
            if (next > hole && (home <= hole || home > next)) || (next < hole && home <= hole && home > next) {
                keys[hole] = keys[next]
                slots[hole] = slots[next].take()
                keys[next] = 0
                hole = next
            }
            next = (next + 1) & mask
        }
        return removed
    }

    public mutating func removeAll() {
        self = StreamTable()
    }

    private static func home(_ id: Int32, _ mask: Int) -> Int {
        // Fibonacci hashing: the high bits of the product spread consecutive odd ids.
        Int(truncatingIfNeeded: (UInt64(UInt32(bitPattern: id)) &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    private func find(_ id: Int32) -> Int? {
        // 0 marks empty slots; no stream has it, so it is never found.
        guard id != 0 else { return nil }
        var index = Self.home(id, mask)
        while true {
            let key = keys[index]
            if key == id { return index }
            if key == 0 { return nil }
            index = (index + 1) & mask
        }
    }

    private mutating func insert(_ id: Int32, _ value: Value) {
        precondition(id != 0, "stream id 0 is the connection's, not a stream's")
        if let index = find(id) {
            slots[index] = value
            return
        }
        // At most half full, so probe runs stay short.
        if (count + 1) * 2 > keys.count { grow() }
        var index = Self.home(id, mask)
        while keys[index] != 0 { index = (index + 1) & mask }
        keys[index] = id
        slots[index] = value
        count += 1
    }

    private mutating func grow() {
        let oldKeys = keys
        var oldSlots = slots
        let capacity = keys.count * 2
        keys = Array(repeating: 0, count: capacity)
        slots = Array(repeating: nil, count: capacity)
        mask = capacity - 1
        count = 0
        for index in oldKeys.indices where oldKeys[index] != 0 {
            insert(oldKeys[index], oldSlots[index].take()!)
        }
    }
}

extension StreamTable: Sendable where Value: Sendable {}
