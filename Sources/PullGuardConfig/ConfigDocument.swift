import Foundation

/// The configuration schema as plain data: what the user wrote, not yet checked.
///
/// Both the YAML file and the single-site CLI flags become a `ConfigDocument`;
/// `ConfigValidator` then checks it and maps it into `PullGuardSettings`. Having
/// exactly one validator is what makes a bad `--cert` read the same as a bad
/// `sites[0].certificates[0].cert`.
struct ConfigDocument {
    /// Relative paths resolve against this: the config file's folder, or the
    /// current directory for CLI flags.
    var baseDirectory: URL
    var listen: ConfigField<[ConfigField<String>]>
    var workers: ConfigField<Int>
    var logLevel: ConfigField<String>
    var unknownSNI: ConfigField<String>
    var defaultSite: ConfigField<String>
    var certsDir: ConfigField<String>
    /// How long a shutdown or a reload lets open connections finish (`30s` when absent).
    var drainTimeout: ConfigField<String>
    var pidFile: ConfigField<String>
    var watch: ConfigField<Bool>
    var watchDebounce: ConfigField<String>
    var headers: HeadersDocument
    var timeouts: TimeoutsDocument
    var limits: LimitsDocument
    var http2: HTTP2Document
    var admin: AdminDocument
    var accessLog: AccessLogDocument
    var sites: ConfigField<[SiteDocument]>
}

/// `admin:`: `off`, or a mapping with `listen`; absent means on at the default address.
struct AdminDocument {
    /// `admin: off` (or `--admin off`).
    var off = false
    /// `admin.listen` (or `--admin ADDR`); absent: `AdminSettings.defaultListen`.
    var listen: ConfigField<String>
}

/// `access_log:`: where the one-line-per-request JSON log goes.
struct AccessLogDocument {
    var path: ConfigField<String>
    var format: ConfigField<String>
    var refusedHandshakesPerSecond: ConfigField<Int>

    static var absent: AccessLogDocument { AccessLogDocument(
        path: ConfigField(keyPath: "access_log.path"), format: ConfigField(keyPath: "access_log.format"),
        refusedHandshakesPerSecond: ConfigField(keyPath: "access_log.refused_handshakes_per_second")) }
}

/// `headers:`: names of the identity headers sent upstream, and which incoming names pass.
struct HeadersDocument {
    var verify: ConfigField<String>
    var subject: ConfigField<String>
    var issuer: ConfigField<String>
    var serial: ConfigField<String>
    var fingerprint: ConfigField<String>
    var notAfter: ConfigField<String>
    var rfc9440: ConfigField<Bool>
    /// Forward request header names with `_` (nginx's `underscores_in_headers`).
    var allowUnderscores: ConfigField<Bool>
    /// The request id header's name, or `off`.
    var requestID: ConfigField<String>
    var trustRequestID: ConfigField<Bool>
}

/// `timeouts:`: durations as written (`500ms`, `5s`, `2m`), parsed by the validator.
struct TimeoutsDocument {
    var upstreamConnect: ConfigField<String>
    var upstreamResponse: ConfigField<String>
    var clientIdle: ConfigField<String>
    var clientHeader: ConfigField<String>
    var clientBody: ConfigField<String>
    var clientSend: ConfigField<String>
    var tunnelIdle: ConfigField<String>
    var handshake: ConfigField<String>
    var sessionLifetime: ConfigField<String>
}

/// `limits:`: how much one process takes on before it refuses new connections, and
/// how many requests one site's upstream gets at once.
struct LimitsDocument {
    var maxConnections: ConfigField<Int>
    var maxHandshakes: ConfigField<Int>
    var maxUpstreamConnectionsPerSite: ConfigField<Int>
}

/// One entry of `sites:`.
struct SiteDocument {
    var keyPath: String
    var name: ConfigField<String>
    var serverNames: ConfigField<[ConfigField<String>]>
    var certificates: ConfigField<[CertificatePairDocument]>
    var upstream: ConfigField<String>
    var clientAuth: ConfigField<ClientAuthDocument>
    /// Offer HTTP/2 (ALPN `h2`) on this site.
    var http2: ConfigField<Bool>
}

/// `http2:`: what one HTTP/2 connection may make the server hold or do.
struct HTTP2Document {
    var maxConcurrentStreams: ConfigField<Int>
    var maxHeaderListSize: ConfigField<Int>
    var headerTableSize: ConfigField<Int>
    var maxContinuations: ConfigField<Int>
    var streamResetBurst: ConfigField<Int>
    var streamResetRate: ConfigField<Int>
    var maxOutboundAcks: ConfigField<Int>
    var maxSettings: ConfigField<Int>
    var maxEmptyDataFrames: ConfigField<Int>
    var streamIdle: ConfigField<String>

    /// Every key absent, at `http2.<key>`.
    static var absent: HTTP2Document { HTTP2Document(
        maxConcurrentStreams: ConfigField(keyPath: "http2.max_concurrent_streams"),
        maxHeaderListSize: ConfigField(keyPath: "http2.max_header_list_size"),
        headerTableSize: ConfigField(keyPath: "http2.header_table_size"),
        maxContinuations: ConfigField(keyPath: "http2.max_continuations"),
        streamResetBurst: ConfigField(keyPath: "http2.stream_reset_burst"),
        streamResetRate: ConfigField(keyPath: "http2.stream_reset_rate"),
        maxOutboundAcks: ConfigField(keyPath: "http2.max_outbound_acks"),
        maxSettings: ConfigField(keyPath: "http2.max_settings"),
        maxEmptyDataFrames: ConfigField(keyPath: "http2.max_empty_data_frames"),
        streamIdle: ConfigField(keyPath: "http2.stream_idle")) }
}

/// One `certificates:` entry: a chain file and its key file.
struct CertificatePairDocument {
    var cert: ConfigField<String>
    var key: ConfigField<String>
}

/// `client_auth:` of one site.
struct ClientAuthDocument {
    var mode: ConfigField<String>
    var trust: ConfigField<[ConfigField<String>]>
    var crl: ConfigField<[ConfigField<String>]>
    var verifyDepth: ConfigField<Int>
    var partialChain: ConfigField<Bool>
    var allow: AllowListDocument
}

/// `client_auth.allow:`, the optional allow-list.
struct AllowListDocument {
    var subjects: ConfigField<[ConfigField<String>]>
    var commonNames: ConfigField<[ConfigField<String>]>
    var dnsNames: ConfigField<[ConfigField<String>]>
    var uris: ConfigField<[ConfigField<String>]>
    var fingerprints: ConfigField<[ConfigField<String>]>
    var spkiSHA256: ConfigField<[ConfigField<String>]>
}
