import Foundation
import Yams

/// The YAML schema: which keys exist at each level, and their types.
///
/// This is the only place that knows key spellings; anything it accepts is
/// checked for meaning by `ConfigValidator`.
extension ConfigDocument {
    static let topLevelKeys = [
        "listen", "workers", "log_level", "unknown_sni", "default_site", "certs_dir",
        "drain_timeout", "pid_file", "watch", "watch_debounce", "headers", "timeouts", "limits", "http2", "admin",
        "access_log", "sites",
    ]
    static let adminKeys = ["listen"]
    static let accessLogKeys = ["path", "format", "refused_handshakes_per_second"]
    static let headerKeys = ["verify", "subject", "issuer", "serial", "fingerprint", "not_after", "rfc9440",
                            "allow_underscores", "request_id", "trust_request_id"]
    static let timeoutKeys = [
        "upstream_connect", "upstream_response", "client_idle", "client_header", "client_body", "client_send",
        "tunnel_idle", "handshake", "session_lifetime",
    ]
    static let limitKeys = ["max_connections", "max_handshakes", "max_upstream_connections_per_site"]
    static let siteKeys = ["name", "server_names", "certificates", "upstream", "client_auth", "http2"]
    static let http2Keys = [
        "max_concurrent_streams", "max_header_list_size", "header_table_size", "max_continuations",
        "stream_reset_burst", "stream_reset_rate", "max_outbound_acks", "max_settings", "max_empty_data_frames",
        "stream_idle",
    ]
    static let certificateKeys = ["cert", "key"]
    static let clientAuthKeys = ["mode", "trust", "crl", "verify_depth", "partial_chain", "allow"]
    static let allowKeys = ["subjects", "common_names", "dns_names", "uris", "fingerprints", "spki_sha256"]

    /// Reads YAML text into a document, appending schema problems (syntax, unknown
    /// keys, wrong types) to `problems`. Returns nil only when nothing could be read.
    static func read(yaml: String, baseDirectory: URL, problems: inout [ConfigProblem]) -> ConfigDocument? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            problems.append(ConfigProblem(keyPath: "", message: "not valid YAML: \(error)"))
            return nil
        }
        guard let root else {
            problems.append(ConfigProblem(keyPath: "", message: "the configuration is empty"))
            return nil
        }
        var reader = YAMLNodeReader()
        let document = read(root: root, baseDirectory: baseDirectory, reader: &reader)
        problems += reader.problems
        return document
    }

    private static func read(root: Node, baseDirectory: URL, reader: inout YAMLNodeReader) -> ConfigDocument? {
        guard let top = reader.mapping(root, at: "", allowed: topLevelKeys) else { return nil }
        let headers = reader.mapping(top["headers"], at: "headers", allowed: headerKeys)
            ?? YAMLMapping(keyPath: "headers", values: [:])
        let timeouts = reader.mapping(top["timeouts"], at: "timeouts", allowed: timeoutKeys)
            ?? YAMLMapping(keyPath: "timeouts", values: [:])
        let limits = reader.mapping(top["limits"], at: "limits", allowed: limitKeys)
            ?? YAMLMapping(keyPath: "limits", values: [:])
        return ConfigDocument(
            baseDirectory: baseDirectory,
            listen: reader.strings(top["listen"], at: "listen", singleAllowed: true),
            workers: reader.int(top["workers"], at: "workers"),
            logLevel: reader.string(top["log_level"], at: "log_level"),
            unknownSNI: reader.string(top["unknown_sni"], at: "unknown_sni"),
            defaultSite: reader.string(top["default_site"], at: "default_site"),
            certsDir: reader.string(top["certs_dir"], at: "certs_dir"),
            drainTimeout: reader.string(top["drain_timeout"], at: "drain_timeout"),
            pidFile: reader.string(top["pid_file"], at: "pid_file"),
            watch: reader.bool(top["watch"], at: "watch"),
            watchDebounce: reader.string(top["watch_debounce"], at: "watch_debounce"),
            headers: HeadersDocument(
                verify: reader.string(headers["verify"], at: headers.path("verify")),
                subject: reader.string(headers["subject"], at: headers.path("subject")),
                issuer: reader.string(headers["issuer"], at: headers.path("issuer")),
                serial: reader.string(headers["serial"], at: headers.path("serial")),
                fingerprint: reader.string(headers["fingerprint"], at: headers.path("fingerprint")),
                notAfter: reader.string(headers["not_after"], at: headers.path("not_after")),
                rfc9440: reader.bool(headers["rfc9440"], at: headers.path("rfc9440")),
                allowUnderscores: reader.bool(headers["allow_underscores"], at: headers.path("allow_underscores")),
                requestID: reader.stringOrOff(headers["request_id"], at: headers.path("request_id")),
                trustRequestID: reader.bool(headers["trust_request_id"], at: headers.path("trust_request_id"))
            ),
            timeouts: TimeoutsDocument(
                upstreamConnect: reader.string(timeouts["upstream_connect"], at: timeouts.path("upstream_connect")),
                upstreamResponse: reader.string(timeouts["upstream_response"], at: timeouts.path("upstream_response")),
                clientIdle: reader.string(timeouts["client_idle"], at: timeouts.path("client_idle")),
                clientHeader: reader.string(timeouts["client_header"], at: timeouts.path("client_header")),
                clientBody: reader.string(timeouts["client_body"], at: timeouts.path("client_body")),
                clientSend: reader.string(timeouts["client_send"], at: timeouts.path("client_send")),
                tunnelIdle: reader.string(timeouts["tunnel_idle"], at: timeouts.path("tunnel_idle")),
                handshake: reader.string(timeouts["handshake"], at: timeouts.path("handshake")),
                sessionLifetime: reader.string(timeouts["session_lifetime"], at: timeouts.path("session_lifetime"))
            ),
            limits: LimitsDocument(
                maxConnections: reader.int(limits["max_connections"], at: limits.path("max_connections")),
                maxHandshakes: reader.int(limits["max_handshakes"], at: limits.path("max_handshakes")),
                maxUpstreamConnectionsPerSite: reader.int(
                    limits["max_upstream_connections_per_site"], at: limits.path("max_upstream_connections_per_site"))
            ),
            http2: readHTTP2(top["http2"], reader: &reader),
            admin: readAdmin(top["admin"], reader: &reader),
            accessLog: readAccessLog(top["access_log"], reader: &reader),
            sites: readSites(top["sites"], reader: &reader)
        )
    }

    private static func readHTTP2(_ node: Node?, reader: inout YAMLNodeReader) -> HTTP2Document {
        guard let http2 = reader.mapping(node, at: "http2", allowed: http2Keys) else { return .absent }
        func int(_ key: String) -> ConfigField<Int> { reader.int(http2[key], at: http2.path(key)) }
        return HTTP2Document(
            maxConcurrentStreams: int("max_concurrent_streams"), maxHeaderListSize: int("max_header_list_size"),
            headerTableSize: int("header_table_size"), maxContinuations: int("max_continuations"),
            streamResetBurst: int("stream_reset_burst"), streamResetRate: int("stream_reset_rate"),
            maxOutboundAcks: int("max_outbound_acks"), maxSettings: int("max_settings"),
            maxEmptyDataFrames: int("max_empty_data_frames"),
            streamIdle: reader.string(http2["stream_idle"], at: http2.path("stream_idle")))
    }

    private static func readAccessLog(_ node: Node?, reader: inout YAMLNodeReader) -> AccessLogDocument {
        guard let log = reader.mapping(node, at: "access_log", allowed: accessLogKeys) else { return .absent }
        return AccessLogDocument(
            path: reader.stringOrOff(log["path"], at: log.path("path")),
            format: reader.string(log["format"], at: log.path("format")),
            refusedHandshakesPerSecond: reader.int(log["refused_handshakes_per_second"],
                                                   at: log.path("refused_handshakes_per_second")))
    }

    /// `admin: off` or `admin: {listen: ADDR}`. `off` is taken as written or as YAML 1.1's
    /// boolean false (`admin: false` too); `on`/`true` is refused: say where to listen instead.
    private static func readAdmin(_ node: Node?, reader: inout YAMLNodeReader) -> AdminDocument {
        if let node, case .scalar(let scalar) = node, reader.isGiven(node) {
            if scalar.string == "off" || scalar.string == "false" {
                return AdminDocument(off: true, listen: ConfigField(keyPath: "admin.listen"))
            }
            reader.report("admin", "expected off or a mapping with listen (admin: {listen: \"127.0.0.1:9901\"}), found '\(scalar.string)'")
            return AdminDocument(listen: ConfigField(keyPath: "admin.listen", alreadyReported: true))
        }
        guard let admin = reader.mapping(node, at: "admin", allowed: adminKeys) else {
            return AdminDocument(listen: ConfigField(keyPath: "admin.listen", alreadyReported: true))
        }
        return AdminDocument(listen: reader.string(admin["listen"], at: admin.path("listen")))
    }

    private static func readSites(_ node: Node?, reader: inout YAMLNodeReader) -> ConfigField<[SiteDocument]> {
        guard let elements = reader.sequence(node, at: "sites") else {
            return ConfigField(keyPath: "sites", alreadyReported: reader.isGiven(node))
        }
        let sites = elements.compactMap { element, path -> SiteDocument? in
            guard let site = reader.mapping(element, at: path, allowed: siteKeys) else { return nil }
            return readSite(site, reader: &reader)
        }
        return ConfigField(keyPath: "sites", value: sites)
    }

    private static func readSite(_ site: YAMLMapping, reader: inout YAMLNodeReader) -> SiteDocument {
        var certificates = ConfigField<[CertificatePairDocument]>(keyPath: site.path("certificates"))
        if let elements = reader.sequence(site["certificates"], at: certificates.keyPath) {
            certificates.value = elements.compactMap { element, path in
                guard let pair = reader.mapping(element, at: path, allowed: certificateKeys) else { return nil }
                return CertificatePairDocument(
                    cert: reader.string(pair["cert"], at: pair.path("cert")),
                    key: reader.string(pair["key"], at: pair.path("key"))
                )
            }
        } else if reader.isGiven(site["certificates"]) {
            certificates.alreadyReported = true
        }
        var clientAuth = ConfigField<ClientAuthDocument>(keyPath: site.path("client_auth"))
        if reader.isGiven(site["client_auth"]) {
            if let auth = reader.mapping(site["client_auth"], at: clientAuth.keyPath, allowed: clientAuthKeys) {
                clientAuth.value = readClientAuth(auth, reader: &reader)
            } else {
                clientAuth.alreadyReported = true
            }
        }
        return SiteDocument(
            keyPath: site.keyPath,
            name: reader.string(site["name"], at: site.path("name")),
            serverNames: reader.strings(site["server_names"], at: site.path("server_names"), singleAllowed: true),
            certificates: certificates,
            upstream: reader.string(site["upstream"], at: site.path("upstream")),
            clientAuth: clientAuth,
            http2: reader.bool(site["http2"], at: site.path("http2"))
        )
    }

    private static func readClientAuth(_ auth: YAMLMapping, reader: inout YAMLNodeReader) -> ClientAuthDocument {
        let allow = reader.mapping(auth["allow"], at: auth.path("allow"), allowed: allowKeys)
            ?? YAMLMapping(keyPath: auth.path("allow"), values: [:])
        return ClientAuthDocument(
            mode: reader.string(auth["mode"], at: auth.path("mode")),
            trust: reader.strings(auth["trust"], at: auth.path("trust"), singleAllowed: true),
            crl: reader.strings(auth["crl"], at: auth.path("crl"), singleAllowed: true),
            verifyDepth: reader.int(auth["verify_depth"], at: auth.path("verify_depth")),
            partialChain: reader.bool(auth["partial_chain"], at: auth.path("partial_chain")),
            allow: AllowListDocument(
                subjects: reader.strings(allow["subjects"], at: allow.path("subjects")),
                commonNames: reader.strings(allow["common_names"], at: allow.path("common_names")),
                dnsNames: reader.strings(allow["dns_names"], at: allow.path("dns_names")),
                uris: reader.strings(allow["uris"], at: allow.path("uris")),
                fingerprints: reader.strings(allow["fingerprints"], at: allow.path("fingerprints")),
                spkiSHA256: reader.strings(allow["spki_sha256"], at: allow.path("spki_sha256"))
            )
        )
    }
}
