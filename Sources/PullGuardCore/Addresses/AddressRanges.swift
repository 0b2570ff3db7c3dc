/// Disjoint, sorted, merged ranges of addresses of one family, searched by bisection.
///
/// Two flat arrays rather than an array of `ClosedRange`: the search reads `lowers`
/// only, so it touches one compact array; a lookup is O(log n) comparisons of plain
/// integers, with no allocation, which is what a check on every accept can afford.
public struct AddressRanges<Bits: FixedWidthInteger & UnsignedInteger & Sendable>: Sendable, Hashable {
    /// Ascending; `lowers[i] <= uppers[i] < lowers[i + 1] - 1` (touching ranges are merged).
    public private(set) var lowers: [Bits] = []
    public private(set) var uppers: [Bits] = []

    public init(_ ranges: [ClosedRange<Bits>]) {
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = uppers.last, last == Bits.max || range.lowerBound <= last + 1 {
                uppers[uppers.count - 1] = Swift.max(last, range.upperBound)
            } else {
                lowers.append(range.lowerBound)
                uppers.append(range.upperBound)
            }
        }
    }

    public var isEmpty: Bool { lowers.isEmpty }
    /// How many disjoint ranges remain after merging.
    public var count: Int { lowers.count }

    /// Whether `address` lies in one of the ranges.
    @inlinable
    public func contains(_ address: Bits) -> Bool {
        // The first range whose lower bound is above `address`; the one before it is the only candidate.
        var low = 0
        var high = lowers.count
        while low < high {
            let middle = (low + high) / 2
            if lowers[middle] <= address { low = middle + 1 } else { high = middle }
        }
        return low > 0 && address <= uppers[low - 1]
    }
}
