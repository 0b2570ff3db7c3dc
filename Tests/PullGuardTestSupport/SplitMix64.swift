import PullGuardCore

extension SplitMix64 {
    /// A number in `0..<bound`, for picking a random test case's parts.
    public mutating func next(_ bound: Int) -> Int {
        Int.random(in: 0..<bound, using: &self)
    }
}
