/// One thing wrong with a configuration, with the key path that names where it is
/// (`sites[1].client_auth.verify_depth`, or a flag name such as `--cert` for the CLI form).
public struct ConfigProblem: Sendable, Hashable, CustomStringConvertible {
    public var keyPath: String
    public var message: String

    public init(keyPath: String, message: String) {
        self.keyPath = keyPath
        self.message = message
    }

    public var description: String { keyPath.isEmpty ? message : "\(keyPath): \(message)" }
}

/// Every problem found in a configuration at once, so a user fixes them in one pass
/// instead of discovering them one restart at a time.
public enum ConfigError: Error, Sendable, CustomStringConvertible {
    case invalid([ConfigProblem])

    public var problems: [ConfigProblem] {
        switch self {
        case .invalid(let problems): return problems
        }
    }

    public var description: String {
        let problems = self.problems
        let noun = problems.count == 1 ? "problem" : "problems"
        return "invalid configuration (\(problems.count) \(noun)):\n"
            + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}
