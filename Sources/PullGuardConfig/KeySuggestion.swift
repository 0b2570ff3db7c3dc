/// "did you mean …?" for unknown keys: a misspelt key is the most common config
/// mistake, and naming the intended key saves a trip to the docs.
enum KeySuggestion {
    /// The allowed key closest to `key`, if it is close enough to be a likely typo.
    static func closest(to key: String, in allowed: [String]) -> String? {
        let candidates = allowed.map { ($0, distance(key.lowercased(), $0)) }
        guard let best = candidates.min(by: { $0.1 < $1.1 }) else { return nil }
        let limit = max(1, min(3, best.0.count / 3))
        return best.1 <= limit ? best.0 : nil
    }

    /// Levenshtein edit distance.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
