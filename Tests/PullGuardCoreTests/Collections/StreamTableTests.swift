import Testing
@testable import PullGuardCore
import PullGuardTestSupport

/// `StreamTable` against `Dictionary` on the same random operations: every look-up,
/// the count and the values agree after each step.
@Suite struct StreamTableTests {
    /// Ids as clients send them (odd, increasing, concurrent ones close together), and ids
    /// picked to share their slot: multiples of a power of two land on one home at small
    /// capacities, which exercises probing and the backward shift on removal.
    @Test(arguments: ["sequential", "colliding", "sparse"])
    func agreesWithADictionary(pattern: String) {
        var random = SplitMix64(seed: 0xD1CE_0000 &+ UInt64(pattern.utf8.count))
        var table = StreamTable<Int>()
        var reference: [Int32: Int] = [:]
        var nextID: Int32 = 1
        func id() -> Int32 {
            switch pattern {
            case "sequential":
                // Mostly new ids, sometimes one still open.
                if random.next(3) > 0 || reference.isEmpty {
                    defer { nextID += 2 }
                    return nextID
                }
                return Array(reference.keys)[random.next(reference.count)]
            case "colliding": return Int32(1 + 64 * random.next(40))
            default: return Int32(1 + random.next(Int(Int32.max - 1)))
            }
        }
        for step in 0..<20_000 {
            let key = id()
            switch random.next(5) {
            case 0, 1:
                table[key] = step
                reference[key] = step
            case 2:
                #expect(table.removeValue(forKey: key) == reference.removeValue(forKey: key))
            case 3:
                let changed = table.modify(key) { value -> Int in
                    value += 1
                    return value
                }
                if let old = reference[key] { reference[key] = old + 1 }
                #expect(changed == reference[key])
            default:
                table[key] = nil
                reference[key] = nil
            }
            #expect(table[key] == reference[key])
            #expect(table.count == reference.count)
            if step % 997 == 0 {
                #expect(table.values.sorted() == reference.values.sorted(), "step \(step)")
                for (id, value) in reference { #expect(table[id] == value) }
            }
            // Bounded, as a connection's open streams are: the table shrinks back to empty.
            if reference.count > 200 {
                for id in Array(reference.keys) { #expect(table.removeValue(forKey: id) == reference.removeValue(forKey: id)) }
                #expect(table.isEmpty)
            }
        }
    }

    /// Stream 0 (the connection's) is never in the table, and asking for it changes nothing.
    @Test func streamZeroIsNeverFound() {
        var table = StreamTable<Int>()
        table[1] = 1
        #expect(table[0] == nil)
        #expect(table.removeValue(forKey: 0) == nil)
        #expect(table.modify(0) { $0 += 1 } == nil)
        #expect(table.count == 1 && table[1] == 1)
    }

    @Test func removeAllEmptiesTheTable() {
        var table = StreamTable<String>()
        for id in stride(from: Int32(1), to: 200, by: 2) { table[id] = "\(id)" }
        #expect(table.count == 100)
        table.removeAll()
        #expect(table.isEmpty && table[1] == nil && table.values.isEmpty)
    }
}
