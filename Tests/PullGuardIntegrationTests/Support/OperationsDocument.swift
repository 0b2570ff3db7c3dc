import Foundation

/// docs/operations.md, read by the tests that keep its procedures and examples from rotting:
/// a block is a `<!-- KIND: NAME -->` comment followed by a fenced block in LANGUAGE.
enum OperationsDocument {
    static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs/operations.md")

    static let text: String = (try? String(contentsOf: url, encoding: .utf8)) ?? ""

    /// Every `<!-- kind: NAME -->` + ```language block, by NAME.
    static func blocks(kind: String, language: String) -> [String: String] {
        let pattern = try! Regex("<!-- \(kind): ([a-z0-9-]+) -->\n```\(language)\n([\\s\\S]*?)```")
        var blocks: [String: String] = [:]
        for match in text.matches(of: pattern) {
            if let name = match.output[1].substring, let body = match.output[2].substring {
                blocks[String(name)] = String(body)
            }
        }
        return blocks
    }
}
