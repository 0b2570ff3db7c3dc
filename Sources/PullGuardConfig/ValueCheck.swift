import NIOCore

/// Parsers and checks for the small value formats the schema uses; each returns
/// nil or false for anything it does not accept, and callers word the problem.
enum ValueCheck {
    /// `500ms`, `5s`, `2m`, `1h`; a unit is required so `5` is never guessed to be seconds or milliseconds.
    static func duration(_ text: String) -> TimeAmount? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let amount = Int64(digits), amount > 0 else { return nil }
        switch text.dropFirst(digits.count) {
        case "ms": return .milliseconds(amount)
        case "s": return .seconds(amount)
        case "m": return .minutes(amount)
        case "h": return .hours(amount)
        default: return nil
        }
    }

    /// A SHA-256 written as hex, colons and case ignored, normalised to 64 lower-case digits.
    static func sha256Hex(_ text: String) -> String? {
        let hex = text.replacingOccurrences(of: ":", with: "").lowercased()
        guard hex.count == 64, hex.allSatisfy({ $0.isHexDigit && $0.isASCII }) else { return nil }
        return hex
    }

    /// Site names appear in logs, metrics and headers, so they are kept to a safe alphabet.
    static func isSiteName(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { "abcdefghijklmnopqrstuvwxyz0123456789._-".unicodeScalars.contains($0) }
    }

    /// A lower-cased DNS name, or `*.` followed by at least two labels (a wildcard
    /// matches one label, and `*.com` would cover a whole TLD).
    static func isServerName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        var labels = name.split(separator: ".", omittingEmptySubsequences: false)
        if labels.first == "*" {
            labels.removeFirst()
            guard labels.count >= 2 else { return false }
        }
        return labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.unicodeScalars.allSatisfy { "abcdefghijklmnopqrstuvwxyz0123456789-".unicodeScalars.contains($0) }
        }
    }

    /// An HTTP field name (RFC 9110 token).
    static func isHeaderName(_ name: String) -> Bool {
        let tchar = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
        return !name.isEmpty && name.unicodeScalars.allSatisfy { tchar.unicodeScalars.contains($0) }
    }
}
