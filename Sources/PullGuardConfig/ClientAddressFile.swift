import Foundation
import PullGuardCore

/// A file of client CIDRs for `client_ips` (`{file: PATH}`, and the shipped Cloudflare lists).
///
/// One CIDR a line; `#` starts a comment, on its own line or after an entry; blank lines
/// and spaces around an entry are ignored. Anything else on a line is an error naming
/// the file and the line, and a file with no entry at all is an error too: a list file
/// emptied by a failed download must not pass unnoticed.
enum ClientAddressFile {
    /// At most this many bad lines are reported per file; the rest are counted.
    static let reportedLines = 5

    /// The entries of `text`, or one message per bad line (`PATH:LINE: problem`).
    static func parse(_ text: String, origin: String) -> Result<[ClientCIDR], ClientAddressFileError> {
        var entries: [ClientCIDR] = []
        var problems: [String] = []
        var badLines = 0
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let entry = line.trimmingCharacters(in: .whitespaces)
            if entry.isEmpty { continue }
            do {
                entries.append(try ClientCIDR(parsing: entry))
            } catch {
                badLines += 1
                if problems.count < reportedLines { problems.append("\(origin):\(index + 1): \(error.message)") }
            }
        }
        if badLines > problems.count { problems.append("\(origin): \(badLines - problems.count) more bad lines") }
        if problems.isEmpty, entries.isEmpty { problems.append("\(origin): no CIDR in the file (only comments or blank lines)") }
        return problems.isEmpty ? .success(entries) : .failure(ClientAddressFileError(problems: problems))
    }

    /// Reads and parses the file at the absolute path `path`.
    static func load(_ path: String) -> Result<[ClientCIDR], ClientAddressFileError> {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? "cannot be read"
            return .failure(ClientAddressFileError(problems: ["\(path): \(reason)"]))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return .failure(ClientAddressFileError(problems: ["\(path): not UTF-8 text"]))
        }
        return parse(text, origin: path)
    }
}

/// What was wrong with one `client_ips` file, one message per problem.
struct ClientAddressFileError: Error, Equatable {
    var problems: [String]
}
