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
        anySpelling = HeaderNameMatcher([HeaderNameForm.of(name)], underscoreIsDash: true)
        exact = HeaderNameMatcher([name.lowercased()])
    }

    /// The id step of one request, decided field by field in the rewrite's pass over the
    /// client's fields (``HeaderPolicy/upstreamRequestHeaders(from:context:framing:requestID:generate:)``).
    ///
    /// A client's own id stays only when `trusted` (the configuration trusts clients' ids
    /// and this one's certificate verified) and it is one header of 1...200 visible ASCII
    /// bytes under the configured name; otherwise every copy the client sent, under any
    /// spelling, is replaced by a generated id, so an untrusted client can neither choose
    /// the id the upstream sees nor plant a second one beside it.
    public struct Pass {
        let policy: RequestIDPolicy
        let trusted: Bool
        /// The client's last copy, and the position among the kept fields it came at.
        private var sent: (field: (String, String), position: Int)?
        private var copies = 0
        private var exactSpelling = true

        public init(policy: RequestIDPolicy, trusted: Bool) {
            self.policy = policy
            self.trusted = trusted
        }

        /// False for each copy of the id header the client sent, under any spelling: all
        /// are held back here. `position`: where among the kept fields it would have gone.
        mutating func keeps(name: String, value: String, position: Int) -> Bool {
            guard policy.anySpelling.matches(name) else { return true }
            copies += 1
            sent = ((name, value), position)
            if !policy.exact.matches(name) { exactSpelling = false }
            return false
        }

        /// The client's copy and its position, when it may stay.
        var keptCopy: (field: (String, String), position: Int)? {
            guard trusted, copies == 1, exactSpelling, let sent, RequestIDPolicy.isWellFormed(sent.field.1) else { return nil }
            return sent
        }
    }

    /// 1...200 bytes, each visible ASCII (no space, no control, nothing past 0x7E).
    static func isWellFormed(_ value: String) -> Bool {
        let bytes = value.utf8
        return !bytes.isEmpty && bytes.count <= maxLength && bytes.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }
}
