import PullGuardCore

/// What one request's access-log line says beyond its connection's facts: filled by the
/// proxy as the exchange goes, written when it ends.
public struct RequestLogEntry: Sendable {
    public var requestID: String
    /// `HTTP/1.1`, `HTTP/1.0` or `HTTP/2`.
    public var protocolName: String
    public var method: String
    public var authority: String?
    public var path: String
    /// The status sent to the client; `499` when the client went away before a response
    /// head was sent (nginx's convention).
    public var status: Int
    /// Request body bytes received from the client.
    public var bytesIn: Int
    /// Response body bytes sent toward the client.
    public var bytesOut: Int
    /// From the request head to the end of the response (or of PullGuard's own answer).
    public var durationNanoseconds: Int64
    /// Waiting for an upstream connection: near 0 for a reused one; nil when none was asked for.
    public var upstreamConnectNanoseconds: Int64?
    /// From the request head written upstream to the response head received; nil without one.
    public var upstreamFirstByteNanoseconds: Int64?
    /// `host:port` of the upstream asked; nil when PullGuard answered before choosing one.
    public var upstream: String?
    /// The HTTP/2 stream id; nil for HTTP/1.1.
    public var stream: Int32?
    /// From the request, kept only when the connection verified against the Cloudflare CA.
    public var cfConnectingIP: String?
    public var cfRay: String?

    public init(requestID: String, protocolName: String, method: String, authority: String?, path: String) {
        self.requestID = requestID
        self.protocolName = protocolName
        self.method = method
        self.authority = authority
        self.path = path
        status = 0
        bytesIn = 0
        bytesOut = 0
        durationNanoseconds = 0
    }

    /// Longest `CF-Connecting-IP`/`CF-Ray` logged: both are short, and the log is no place
    /// for whatever else a header may carry.
    static let maxEdgeValueLength = 128

    func encode(into line: inout JSONLine) {
        line.string("request_id", requestID)
        line.string("protocol", protocolName)
        line.int("stream", stream.map(Int.init))
        line.string("method", method)
        line.string("authority", authority)
        line.string("path", path)
        line.int("status", status)
        line.int("bytes_in", bytesIn)
        line.int("bytes_out", bytesOut)
        line.milliseconds("duration_ms", nanoseconds: durationNanoseconds)
        line.milliseconds("upstream_connect_ms", nanoseconds: upstreamConnectNanoseconds)
        line.milliseconds("upstream_first_byte_ms", nanoseconds: upstreamFirstByteNanoseconds)
        line.string("upstream", upstream)
        line.string("cf_connecting_ip", cfConnectingIP.map { String($0.prefix(Self.maxEdgeValueLength)) })
        line.string("cf_ray", cfRay.map { String($0.prefix(Self.maxEdgeValueLength)) })
    }
}

/// A handshake PullGuard refused or that failed: who knocked, for which name, and why.
public struct RefusalLogEntry: Sendable {
    public var clientAddress: String?
    public var clientPort: Int?
    public var serverName: String?
    public var site: String
    /// `certificate_refused`, `no_certificate`, `server_name_refused`, `protocol_mismatch`,
    /// `peer_alert` or `other`.
    public var kind: String
    /// In plain words (`certificate has expired`).
    public var reason: String
    /// `X509_V_ERR_*` or `policy:*`, for certificate refusals.
    public var verifyError: String?
    public var depth: Int?
    /// The certificate presented, when the client sent one.
    public var certificate: CertificateFacts?

    public init(clientAddress: String?, clientPort: Int?, serverName: String?, site: String, kind: String,
                reason: String, verifyError: String? = nil, depth: Int? = nil, certificate: CertificateFacts? = nil) {
        self.clientAddress = clientAddress
        self.clientPort = clientPort
        self.serverName = serverName
        self.site = site
        self.kind = kind
        self.reason = reason
        self.verifyError = verifyError
        self.depth = depth
        self.certificate = certificate
    }

    func encode(into line: inout JSONLine) {
        line.string("client_addr", clientAddress)
        line.int("client_port", clientPort)
        line.string("sni", serverName)
        line.string("site", site)
        line.string("refusal", kind)
        line.string("reason", reason)
        line.string("verify_error", verifyError)
        line.int("depth", depth)
        line.string("client_subject", certificate?.subject)
        line.string("client_issuer", certificate?.issuer)
        line.string("client_serial", certificate?.serialHex)
        line.string("client_fingerprint", certificate?.sha256Fingerprint)
    }
}
