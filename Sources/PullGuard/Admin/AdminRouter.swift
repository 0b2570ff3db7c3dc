import Foundation
import NIOHTTP1

/// The admin endpoints as a value: a request's method and target in, a response out.
/// Tested without sockets; `AdminServer` only moves bytes.
public struct AdminRouter: Sendable {
    public struct Response: Sendable, Equatable {
        public var status: HTTPResponseStatus
        public var contentType: String
        public var body: [UInt8]
        /// Extra headers (`Allow` on 405).
        public var headers: [(String, String)] = []

        public static func == (lhs: Response, rhs: Response) -> Bool {
            lhs.status == rhs.status && lhs.contentType == rhs.contentType && lhs.body == rhs.body
                && lhs.headers.map { "\($0.0): \($0.1)" } == rhs.headers.map { "\($0.0): \($0.1)" }
        }
    }

    /// The Prometheus text format's media type (the format swift-prometheus writes).
    public static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    let status: AdminStatus
    let metrics: @Sendable () -> [UInt8]

    /// - Parameter metrics: the exposition (`PullGuardMetrics.exposition`).
    public init(status: AdminStatus, metrics: @escaping @Sendable () -> [UInt8]) {
        self.status = status
        self.metrics = metrics
    }

    public func respond(method: HTTPMethod, uri: String) -> Response {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
        guard ["/metrics", "/healthz", "/readyz", "/config"].contains(path) else {
            return text(.notFound, "not found\n")
        }
        guard method == .GET else {
            var response = text(.methodNotAllowed, "only GET\n")
            response.headers = [("Allow", "GET")]
            return response
        }
        switch path {
        case "/metrics":
            return Response(status: .ok, contentType: Self.metricsContentType, body: metrics())
        case "/healthz":
            return text(.ok, "ok\n")
        case "/readyz":
            return status.isReady() ? text(.ok, "ready\n") : text(.serviceUnavailable, "not ready\n")
        default:
            return configResponse()
        }
    }

    private func configResponse() -> Response {
        let generation = status.generation()
        let document = ConfigDocument(generation: generation.number, loadedAt: rfc3339(generation.loadedAt),
                                      sites: generation.sites, clientIPs: generation.clientIPs)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let body = try? encoder.encode(document) else {
            return text(.internalServerError, "cannot encode the configuration summary\n")
        }
        return Response(status: .ok, contentType: "application/json", body: Array(body) + [0x0A])
    }

    private func text(_ status: HTTPResponseStatus, _ body: String) -> Response {
        Response(status: status, contentType: "text/plain; charset=utf-8", body: Array(body.utf8))
    }

    /// `/config`'s body.
    struct ConfigDocument: Encodable {
        var generation: Int
        var loadedAt: String
        var sites: [AdminSiteSummary]
        /// Absent from the JSON when `client_ips` is not configured (every address accepted).
        var clientIPs: AdminClientIPs?

        enum CodingKeys: String, CodingKey {
            case generation, sites
            case loadedAt = "loaded_at"
            case clientIPs = "client_ips"
        }
    }
}
