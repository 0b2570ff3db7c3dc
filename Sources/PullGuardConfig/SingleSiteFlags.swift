import Foundation

/// The single-site command-line form (`pullguard run --listen … --cert … --client-ca …`)
/// as plain values, before validation.
///
/// Flag spellings are a contract with users; `ConfigDocument(flags:)` maps them onto
/// the same schema as the YAML file, using the flag names as key paths.
public struct SingleSiteFlags: Sendable, Hashable {
    public var listen: [String] = []
    public var upstream: String?
    /// `--cert`, paired in order with `keys`.
    public var certificates: [String] = []
    public var keys: [String] = []
    /// `--client-ca`: `cloudflare` or PEM bundle paths.
    public var clientCAs: [String] = []
    public var crls: [String] = []
    public var verifyDepth: Int?
    /// `--verify`: `require` or `optional`.
    public var verify: String?
    public var workers: Int?
    public var serverNames: [String] = []
    public var logLevel: String?
    public var certsDir: String?
    public var rfc9440 = false
    /// `--admin`: `host:port` or `off`; nil: the default admin address.
    public var admin: String?
    /// `--access-log`: `stdout`, `stderr`, `off` or a file (`access_log.path`).
    public var accessLog: String?

    public init() {}

    /// True when any flag that describes a site was given; used to refuse mixing them with `--config`.
    public var describesSite: Bool {
        !listen.isEmpty || upstream != nil || !certificates.isEmpty || !keys.isEmpty || !clientCAs.isEmpty
            || !crls.isEmpty || verifyDepth != nil || verify != nil || workers != nil || !serverNames.isEmpty
            || certsDir != nil || rfc9440 || accessLog != nil
    }
}

extension ConfigDocument {
    /// The name of the one site the CLI form describes.
    static let flagSiteName = "default"

    /// Maps flags onto the schema. `--cert`/`--key` count mismatches are reported
    /// here because only the flag form can pair them wrongly.
    init(flags: SingleSiteFlags, currentDirectory: URL, problems: inout [ConfigProblem]) {
        func field<T>(_ flag: String, _ value: T?) -> ConfigField<T> { ConfigField(keyPath: flag, value: value) }
        func list(_ flag: String, _ values: [String]) -> ConfigField<[ConfigField<String>]> {
            ConfigField(keyPath: flag, value: values.map { ConfigField(keyPath: flag, value: $0) })
        }
        func absent(_ flag: String) -> ConfigField<[ConfigField<String>]> { ConfigField(keyPath: flag, value: []) }

        if flags.certificates.count != flags.keys.count {
            problems.append(ConfigProblem(
                keyPath: flags.certificates.count > flags.keys.count ? "--key" : "--cert",
                message: "\(flags.certificates.count) --cert but \(flags.keys.count) --key; "
                    + "each --cert needs a --key, paired in the order given"))
        }
        let pairs = zip(flags.certificates, flags.keys).map {
            CertificatePairDocument(cert: field("--cert", $0), key: field("--key", $1))
        }
        let certificates = ConfigField<[CertificatePairDocument]>(
            keyPath: "--cert", value: flags.certificates.isEmpty ? nil : pairs,
            alreadyReported: !flags.certificates.isEmpty && pairs.isEmpty)
        let clientAuth = ClientAuthDocument(
            mode: field("--verify", flags.verify),
            trust: flags.clientCAs.isEmpty ? ConfigField(keyPath: "--client-ca") : list("--client-ca", flags.clientCAs),
            crl: list("--crl", flags.crls),
            verifyDepth: field("--verify-depth", flags.verifyDepth),
            partialChain: ConfigField(keyPath: "--partial-chain"),
            allow: AllowListDocument(
                subjects: absent("allow.subjects"), commonNames: absent("allow.common_names"),
                dnsNames: absent("allow.dns_names"), uris: absent("allow.uris"),
                fingerprints: absent("allow.fingerprints"), spkiSHA256: absent("allow.spki_sha256"))
        )
        let site = SiteDocument(
            keyPath: "",
            name: field("--name", Self.flagSiteName),
            serverNames: list("--server-name", flags.serverNames),
            certificates: certificates,
            upstream: field("--upstream", flags.upstream),
            clientAuth: field("--client-ca", clientAuth),
            http2: ConfigField(keyPath: "http2")
        )
        self.init(
            baseDirectory: currentDirectory,
            listen: flags.listen.isEmpty ? ConfigField(keyPath: "--listen") : list("--listen", flags.listen),
            workers: field("--workers", flags.workers),
            logLevel: field("--log-level", flags.logLevel),
            unknownSNI: ConfigField(keyPath: "unknown_sni"),
            defaultSite: ConfigField(keyPath: "default_site"),
            certsDir: field("--certs-dir", flags.certsDir),
            drainTimeout: ConfigField(keyPath: "drain_timeout"),
            // Reload triggers belong to a config file: there is nothing to watch or re-read without one.
            pidFile: ConfigField(keyPath: "pid_file"),
            watch: ConfigField(keyPath: "watch"),
            watchDebounce: ConfigField(keyPath: "watch_debounce"),
            headers: HeadersDocument(
                verify: ConfigField(keyPath: "headers.verify"), subject: ConfigField(keyPath: "headers.subject"),
                issuer: ConfigField(keyPath: "headers.issuer"), serial: ConfigField(keyPath: "headers.serial"),
                fingerprint: ConfigField(keyPath: "headers.fingerprint"),
                notAfter: ConfigField(keyPath: "headers.not_after"),
                rfc9440: field("--rfc9440", flags.rfc9440),
                allowUnderscores: ConfigField(keyPath: "headers.allow_underscores"),
                requestID: ConfigField(keyPath: "headers.request_id"),
                trustRequestID: ConfigField(keyPath: "headers.trust_request_id")),
            timeouts: TimeoutsDocument(
                upstreamConnect: ConfigField(keyPath: "timeouts.upstream_connect"),
                upstreamResponse: ConfigField(keyPath: "timeouts.upstream_response"),
                clientIdle: ConfigField(keyPath: "timeouts.client_idle"),
                clientHeader: ConfigField(keyPath: "timeouts.client_header"),
                clientBody: ConfigField(keyPath: "timeouts.client_body"),
                clientSend: ConfigField(keyPath: "timeouts.client_send"),
                tunnelIdle: ConfigField(keyPath: "timeouts.tunnel_idle"),
                handshake: ConfigField(keyPath: "timeouts.handshake"),
                sessionLifetime: ConfigField(keyPath: "timeouts.session_lifetime")),
            limits: LimitsDocument(
                maxConnections: ConfigField(keyPath: "limits.max_connections"),
                maxHandshakes: ConfigField(keyPath: "limits.max_handshakes"),
                maxUpstreamConnectionsPerSite: ConfigField(keyPath: "limits.max_upstream_connections_per_site")),
            http2: .absent,
            admin: flags.admin == "off"
                ? AdminDocument(off: true, listen: ConfigField(keyPath: "--admin"))
                : AdminDocument(listen: field("--admin", flags.admin)),
            accessLog: AccessLogDocument(
                path: field("--access-log", flags.accessLog), format: ConfigField(keyPath: "access_log.format"),
                refusedHandshakesPerSecond: ConfigField(keyPath: "access_log.refused_handshakes_per_second")),
            sites: ConfigField(keyPath: "sites", value: [site])
        )
    }
}
