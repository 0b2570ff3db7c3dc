import NIOCore

/// How the proxy forwards accepted requests, for all sites (each site's upstream is
/// its `Site.proxy`): the header names it writes, its timeouts and limits.
public struct ProxySettings: Sendable {
    public var headers: IdentityHeaderNames
    public var timeouts: ProxyTimeouts
    /// Idle keep-alive connections kept per event loop and upstream, at most; fewer when
    /// recent traffic needed fewer (the pool's purge). HTTP/2 multiplies the requests in
    /// flight (each stream leases its own upstream connection): a cap below the requests
    /// in flight at a burst closes connections the next burst opens again
    /// (docs/performance.md). The default is the site's default in-flight cap.
    public var maxIdleUpstreamConnectionsPerLoop: Int
    /// `headers.allow_underscores`: forward request header names containing `_`
    /// (nginx's `underscores_in_headers`). Look-alikes of the names PullGuard sets
    /// are dropped either way.
    public var allowUnderscoresInHeaders: Bool
    /// Requests in flight to one site's upstream at once, across all workers
    /// (`limits.max_upstream_connections_per_site`); nil: no cap. A request beyond it
    /// waits up to `timeouts.upstreamConnect` for a slot, then gets 503.
    public var maxUpstreamConnectionsPerSite: Int?

    /// The cap when the configuration does not set one.
    public static let defaultMaxUpstreamConnectionsPerSite = 1024

    /// What one HTTP/2 connection may make the server hold or do (`http2:`).
    public var http2: HTTP2Settings
    /// The request id header (`headers.request_id`, `headers.trust_request_id`).
    public var requestID: RequestIDSettings

    public init(headers: IdentityHeaderNames = IdentityHeaderNames(),
                timeouts: ProxyTimeouts = ProxyTimeouts(), maxIdleUpstreamConnectionsPerLoop: Int = ProxySettings.defaultMaxUpstreamConnectionsPerSite,
                allowUnderscoresInHeaders: Bool = false,
                maxUpstreamConnectionsPerSite: Int? = ProxySettings.defaultMaxUpstreamConnectionsPerSite,
                http2: HTTP2Settings = HTTP2Settings(), requestID: RequestIDSettings = RequestIDSettings()) {
        self.http2 = http2
        self.requestID = requestID
        self.headers = headers
        self.timeouts = timeouts
        self.maxIdleUpstreamConnectionsPerLoop = maxIdleUpstreamConnectionsPerLoop
        self.allowUnderscoresInHeaders = allowUnderscoresInHeaders
        self.maxUpstreamConnectionsPerSite = maxUpstreamConnectionsPerSite
    }
}

/// One site's forwarding: where its requests go. The proxy half of a `Site`
/// (`site.proxy`); which Host names belong to the site is the `Site`'s `serverNames`
/// (a request whose Host names another configured site gets 421).
public struct ProxySiteSettings: Sendable {
    public var upstream: UpstreamAddress

    public init(upstream: UpstreamAddress) {
        self.upstream = upstream
    }
}

/// A plain-HTTP upstream, `http://host:port`.
public struct UpstreamAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `http://host:port` (port defaults to 80; `[v6]` hosts allowed). Returns nil otherwise.
    public init?(url: String) {
        guard url.hasPrefix("http://") else { return nil }
        var rest = Substring(url.dropFirst("http://".count))
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/"), !rest.contains("@") else { return nil }
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { return nil }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty else { return nil }
        var port = 80
        if let portText {
            guard let parsed = Int(portText), (1...65535).contains(parsed) else { return nil }
            port = parsed
        }
        self.init(host: String(host), port: port)
    }

    public var description: String {
        host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
    }
}

public struct ProxyTimeouts: Sendable {
    /// Connecting to the upstream; past it the client gets 502.
    public var upstreamConnect: TimeAmount
    /// Waiting for the upstream's response head; past it the client gets 504.
    public var upstreamResponse: TimeAmount
    /// A downstream keep-alive connection with no request in flight is closed after this.
    public var downstreamIdle: TimeAmount
    /// The whole request head, from its first bytes (or from the handshake, for the
    /// first request) to its end; past it the connection is closed (nginx `client_header_timeout`).
    public var clientHeader: TimeAmount
    /// Between two reads of a request body while PullGuard wants more; past it 408
    /// and close (nginx `client_body_timeout`).
    public var clientBody: TimeAmount
    /// How long the client may keep its connection unwritable (not reading what
    /// PullGuard sends) before it is closed (nginx `send_timeout`).
    public var clientSend: TimeAmount
    /// A WebSocket tunnel with no bytes in either direction is closed after this
    /// (nginx `proxy_read_timeout` on an upgraded connection; HAProxy `timeout tunnel`).
    public var tunnelIdle: TimeAmount

    public init(upstreamConnect: TimeAmount = .seconds(5), upstreamResponse: TimeAmount = .seconds(60),
                downstreamIdle: TimeAmount = .seconds(75), clientHeader: TimeAmount = .seconds(60),
                clientBody: TimeAmount = .seconds(60), clientSend: TimeAmount = .seconds(60),
                tunnelIdle: TimeAmount = .seconds(60)) {
        self.upstreamConnect = upstreamConnect
        self.upstreamResponse = upstreamResponse
        self.downstreamIdle = downstreamIdle
        self.clientHeader = clientHeader
        self.clientBody = clientBody
        self.clientSend = clientSend
        self.tunnelIdle = tunnelIdle
    }
}

/// Names of the identity headers sent upstream (configurable, as in nginx's `proxy_set_header`).
/// Incoming headers with any of these names are removed before forwarding (anti-spoofing).
public struct IdentityHeaderNames: Sendable, Hashable {
    public var verify = "X-Client-Verify"
    public var subject = "X-Client-Cert-Subject"
    public var issuer = "X-Client-Cert-Issuer"
    public var serial = "X-Client-Cert-Serial"
    public var fingerprint = "X-Client-Cert-Fingerprint"
    public var notAfter = "X-Client-Cert-Not-After"
    /// Send RFC 9440 `Client-Cert` and `Client-Cert-Chain`.
    public var rfc9440 = false

    public init() {}
}
