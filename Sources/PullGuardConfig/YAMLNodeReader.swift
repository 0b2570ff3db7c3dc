import Yams

/// Typed, problem-collecting access to a Yams `Node` tree.
///
/// We walk the node tree ourselves instead of using `Codable` because Codable
/// stops at the first error, ignores unknown keys, and loses the key path; here
/// every unknown key, wrong type and missing value is recorded with its path and
/// reading carries on.
struct YAMLNodeReader {
    private(set) var problems: [ConfigProblem] = []

    /// True when the key is present with a non-null value.
    func isGiven(_ node: Node?) -> Bool { node.map { !isNull($0) } ?? false }

    mutating func report(_ keyPath: String, _ message: String) {
        problems.append(ConfigProblem(keyPath: keyPath, message: message))
    }

    /// The keys of a mapping node, after reporting keys that are not in `allowed`.
    /// Returns nil (and reports) when `node` is not a mapping; a null node is an empty mapping.
    mutating func mapping(_ node: Node?, at keyPath: String, allowed: [String]) -> YAMLMapping? {
        guard let node, !isNull(node) else { return YAMLMapping(keyPath: keyPath, values: [:]) }
        guard case .mapping(let mapping) = node else {
            report(keyPath, "expected a mapping of keys to values, found \(kind(of: node))")
            return nil
        }
        var values: [String: Node] = [:]
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                report(keyPath, "keys must be plain strings, found \(kind(of: key))")
                continue
            }
            let name = scalar.string
            let childPath = keyPath.isEmpty ? name : "\(keyPath).\(name)"
            guard allowed.contains(name) else {
                if let suggestion = KeySuggestion.closest(to: name, in: allowed) {
                    report(childPath, "unknown key (did you mean \(suggestion)?)")
                } else {
                    report(childPath, "unknown key; expected one of: \(allowed.joined(separator: ", "))")
                }
                continue
            }
            values[name] = value
        }
        return YAMLMapping(keyPath: keyPath, values: values)
    }

    /// A string scalar. Numbers are accepted as their text (a site may be named `2024`);
    /// booleans are refused because an unquoted `yes`/`on` is almost always a mistake.
    mutating func string(_ node: Node?, at keyPath: String) -> ConfigField<String> {
        guard let node, !isNull(node) else { return ConfigField(keyPath: keyPath) }
        guard case .scalar(let scalar) = node, tagName(of: node) != .bool else {
            report(keyPath, "expected a string, found \(kind(of: node))")
            return ConfigField(keyPath: keyPath, alreadyReported: true)
        }
        return ConfigField(keyPath: keyPath, value: scalar.string)
    }

    /// A string where `off` is one of the words: YAML 1.1 reads an unquoted `off` (or
    /// `false`) as a boolean, which is taken here as the word `off` rather than refused.
    mutating func stringOrOff(_ node: Node?, at keyPath: String) -> ConfigField<String> {
        if let node, case .scalar(let scalar) = node, tagName(of: node) == .bool {
            if scalar.string == "off" || scalar.string == "false" { return ConfigField(keyPath: keyPath, value: "off") }
            report(keyPath, "expected a string or off, found \(kind(of: node))")
            return ConfigField(keyPath: keyPath, alreadyReported: true)
        }
        return string(node, at: keyPath)
    }

    mutating func int(_ node: Node?, at keyPath: String) -> ConfigField<Int> {
        guard let node, !isNull(node) else { return ConfigField(keyPath: keyPath) }
        guard tagName(of: node) == .int, let value = node.int else {
            report(keyPath, "expected an integer, found \(kind(of: node))")
            return ConfigField(keyPath: keyPath, alreadyReported: true)
        }
        return ConfigField(keyPath: keyPath, value: value)
    }

    mutating func bool(_ node: Node?, at keyPath: String) -> ConfigField<Bool> {
        guard let node, !isNull(node) else { return ConfigField(keyPath: keyPath) }
        guard tagName(of: node) == .bool, let value = node.bool else {
            report(keyPath, "expected true or false, found \(kind(of: node))")
            return ConfigField(keyPath: keyPath, alreadyReported: true)
        }
        return ConfigField(keyPath: keyPath, value: value)
    }

    /// The elements of a sequence, each with its `[index]` key path. With
    /// `singleAllowed`, a lone scalar counts as a one-element list (`crl: a.crl`).
    mutating func sequence(_ node: Node?, at keyPath: String, singleAllowed: Bool = false) -> [(Node, String)]? {
        guard let node, !isNull(node) else { return nil }
        switch node {
        case .sequence(let sequence):
            return sequence.enumerated().map { ($0.element, "\(keyPath)[\($0.offset)]") }
        case .scalar where singleAllowed:
            return [(node, keyPath)]
        default:
            report(keyPath, singleAllowed
                ? "expected a string or a list of strings, found \(kind(of: node))"
                : "expected a list, found \(kind(of: node))")
            return nil
        }
    }

    /// A list of strings (or, with `singleAllowed`, one string); bad elements are reported and dropped.
    mutating func strings(_ node: Node?, at keyPath: String, singleAllowed: Bool = false)
        -> ConfigField<[ConfigField<String>]>
    {
        let wasGiven = isGiven(node)
        guard let elements = sequence(node, at: keyPath, singleAllowed: singleAllowed) else {
            return ConfigField(keyPath: keyPath, alreadyReported: wasGiven)
        }
        var values: [ConfigField<String>] = []
        for (element, elementPath) in elements {
            let field = string(element, at: elementPath)
            if field.value != nil {
                values.append(field)
            } else if !field.alreadyReported {
                report(elementPath, "expected a string, found nothing")
            }
        }
        return ConfigField(keyPath: keyPath, value: values)
    }

    /// The resolved tag (`str`, `int`, `bool`, `null`, …) a scalar was given, quoted or not.
    func tagName(of node: Node) -> Tag.Name { Tag.Name(rawValue: node.tag.rawValue) }

    /// True for an explicit null (`key:` with nothing after it), which counts as absent.
    func isNull(_ node: Node) -> Bool {
        if case .scalar = node { return tagName(of: node) == .null }
        return false
    }

    /// How a node reads in an error message: its kind, and its text for scalars.
    private func kind(of node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias (anchors and aliases are not supported)"
        case .scalar(let scalar):
            switch tagName(of: node) {
            case .null: return "nothing"
            case .bool: return "the boolean '\(scalar.string)'"
            case .int: return "the integer \(scalar.string)"
            case .float: return "the number \(scalar.string)"
            default: return "the string '\(scalar.string)'"
            }
        }
    }
}

/// The accepted keys of one mapping node, looked up by name.
struct YAMLMapping {
    var keyPath: String
    var values: [String: Node]

    subscript(key: String) -> Node? { values[key] }

    func path(_ key: String) -> String { keyPath.isEmpty ? key : "\(keyPath).\(key)" }
}
