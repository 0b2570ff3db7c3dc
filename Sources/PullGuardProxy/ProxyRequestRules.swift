import NIOHTTP1
import PullGuardHTTP
import PullGuardCore
/// The request checks of one configuration that every connection shares: the
/// anti-spoofing names and the sites (each reached by the `SiteID` TLS chose, and
/// their name table for Host binding). Built once per configuration (`HTTPProxy`),
/// not per connection or request.
struct ProxyRequestRules: Sendable {
    let spoofable: HeaderPolicy.SpoofableNames
    let sites: SiteTable
    /// The request id header; nil when `headers.request_id` is off.
    let requestID: RequestIDPolicy?
    let trustClientRequestID: Bool

    init(settings: ProxySettings, sites: SiteTable) {
        spoofable = HeaderPolicy.SpoofableNames(names: settings.headers,
                                                allowUnderscores: settings.allowUnderscoresInHeaders)
        self.sites = sites
        requestID = settings.requestID.header.map(RequestIDPolicy.init(name:))
        trustClientRequestID = settings.requestID.trustClient
    }

    /// The headers of a request as it goes upstream (`HeaderPolicy`), with its id
    /// (`RequestIDPolicy`), and the id: nil when neither the upstream nor the access log
    /// wants one (no cost then).
    func upstreamHeaders(from incoming: HTTPHeaders, context: HeaderPolicy.RequestContext, framing: RequestFraming,
                         connection: inout ConnectionLog) -> (headers: HTTPHeaders, requestID: String?) {
        guard let requestID else {
            let headers = HeaderPolicy.upstreamRequestHeaders(from: incoming, context: context, framing: framing)
            return (headers, connection.log != nil ? connection.nextRequestID() : nil)
        }
        var verified = false
        if case .success = context.verification { verified = true }
        return HeaderPolicy.upstreamRequestHeaders(
            from: incoming, context: context, framing: framing,
            requestID: RequestIDPolicy.Pass(policy: requestID, trusted: trustClientRequestID && verified)
        ) { connection.nextRequestID() }
    }
}
