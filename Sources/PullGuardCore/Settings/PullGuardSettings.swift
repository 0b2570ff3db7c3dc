import Logging
import NIOCore

/// Everything one running PullGuard needs, already validated and mapped into
/// each area's own values. `Config/` produces it from YAML or CLI flags; nothing
/// downstream reads a file or a config key.
public struct PullGuardSettings: Sendable {
    public var listeners: [ListenAddress]
    /// Number of event loops; defaults to one per core.
    public var workers: Int
    /// Every site, each whole (names, TLS and proxy halves), with the default site and
    /// the name table: what the TLS contexts and the proxy are both built from.
    public var sites: SiteTable
    public var tls: TLSListenerSettings
    public var proxy: ProxySettings
    public var limits: ConnectionLimits
    /// How long a shutdown, or a reload for the connections of the older configuration,
    /// lets requests in flight finish before closing what remains (nginx:
    /// `worker_shutdown_timeout`; Envoy: `--drain-time-s`).
    public var drainTimeout: TimeAmount
    public var logLevel: Logger.Level
    /// `pid_file`, `watch`, `watch_debounce`: how this process is told to reload.
    public var reload: ReloadSettings
    /// The absolute path of the YAML file these settings were loaded from; nil for the
    /// single-site CLI form. The first of `referencedFiles`.
    public var configFile: String?
    /// The admin listener (`/metrics`, `/healthz`, `/readyz`, `/config`). Off unless set:
    /// the Config layer turns it on at `AdminSettings.defaultListen` for the binary, while
    /// settings built in code (tests starting many servers) bind nothing extra.
    public var admin: AdminSettings
    /// `access_log`: off unless configured (as with Caddy, Envoy and HAProxy).
    public var accessLog: AccessLogSettings

    public static let defaultDrainTimeout = TimeAmount.seconds(30)

    public init(listeners: [ListenAddress], workers: Int, sites: SiteTable, tls: TLSListenerSettings,
                proxy: ProxySettings, limits: ConnectionLimits = ConnectionLimits(),
                drainTimeout: TimeAmount = defaultDrainTimeout, logLevel: Logger.Level = .info,
                reload: ReloadSettings = ReloadSettings(), configFile: String? = nil,
                admin: AdminSettings = AdminSettings(listen: nil), accessLog: AccessLogSettings = AccessLogSettings()) {
        self.admin = admin
        self.accessLog = accessLog
        self.listeners = listeners
        self.workers = workers
        self.sites = sites
        self.tls = tls
        self.proxy = proxy
        self.limits = limits
        self.drainTimeout = drainTimeout
        self.logLevel = logLevel
        self.reload = reload
        self.configFile = configFile
    }
}

/// What one process accepts before it closes new connections at accept, without
/// reading a byte from them (nginx: `worker_connections`; HAProxy: `maxconn`).
public struct ConnectionLimits: Sendable, Hashable {
    /// Open client connections, all listeners together.
    public var maxConnections: Int
    /// Client connections whose TLS handshake has not finished yet: the ones that cost a
    /// full handshake's CPU and that anyone can open without a certificate.
    public var maxHandshakes: Int

    public init(maxConnections: Int = 10_000, maxHandshakes: Int = 1_024) {
        self.maxConnections = maxConnections
        self.maxHandshakes = maxHandshakes
    }
}

/// `host:port` or `[v6]:port` to listen on; port 0 asks the kernel for a free port.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `127.0.0.1:8443`, `[::1]:8443` or `:8443` (all IPv4 interfaces).
    public init?(parsing text: String) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            guard after.hasPrefix(":") else { return nil }
            portText = after.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }
        }
        guard let port = Int(portText), (0...65535).contains(port) else { return nil }
        self.init(host: host.isEmpty ? "0.0.0.0" : String(host), port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
