import NIOHTTP1
import PullGuardCore

/// The request id header (`headers.request_id`) on a request going upstream: kept from a
/// trusted client, generated otherwise. Built once per configuration.
public struct RequestIDPolicy: Sendable {
    /// The longest client-sent request id kept (Envoy's and tracing ids are far shorter).
    static let maxLength = 200

    public let name: String
    /// Every spelling an upstream may read as the same name (`X_Request_ID` too).
    let anySpelling: HeaderNameMatcher
    /// The configured name itself, case-insensitively.
    let exact: HeaderNameMatcher

    public init(name: String) {
        self.name = name
        anySpelling = HeaderNameMatcher([HeaderPolicy.normalizedName(name)], underscoreIsDash: true)
        exact = HeaderNameMatcher([name.lowercased()])
    }

    /// Sets the header and returns the id.
    ///
    /// A client's own id stays only when `trusted` (the configuration trusts clients' ids
    /// and this one's certificate verified) and it is one header of 1...200 visible ASCII
    /// bytes under the configured name; otherwise every copy the client sent, under any
    /// spelling, is replaced by a generated id, so an untrusted client can neither choose
    /// the id the upstream sees nor plant a second one beside it.
    public func apply(to headers: inout HTTPHeaders, trusted: Bool, generate: () -> String) -> String {
        var sent: String?
        var copies = 0
        var exactSpelling = true
        for header in headers where anySpelling.matches(header.name) {
            copies += 1
            sent = header.value
            if !exact.matches(header.name) { exactSpelling = false }
        }
        if trusted, copies == 1, exactSpelling, let sent, Self.isWellFormed(sent) { return sent }
        if copies > 0 {
            var spellings: [String] = []
            for header in headers where anySpelling.matches(header.name) { spellings.append(header.name) }
            for spelling in spellings { headers.remove(name: spelling) }
        }
        let id = generate()
        headers.add(name: name, value: id)
        return id
    }

    /// 1...200 bytes, each visible ASCII (no space, no control, nothing past 0x7E).
    static func isWellFormed(_ value: String) -> Bool {
        let bytes = value.utf8
        return !bytes.isEmpty && bytes.count <= maxLength && bytes.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }
}
