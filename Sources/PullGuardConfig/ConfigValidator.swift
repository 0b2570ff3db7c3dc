import Foundation
import Logging
import NIOCore
import PullGuardCore

/// Checks a `ConfigDocument` once and maps it into `PullGuardSettings`.
///
/// Overview of `Config/`: `ConfigLoader` is the entry point. YAML becomes a
/// `ConfigDocument` through `ConfigDocument+YAML` (schema: keys and types), CLI
/// flags through `SingleSiteFlags`; this validator then checks meaning (ranges,
/// references, files), reads every file exactly once, and builds the area values.
/// It never stops at the first problem: each check records its problem with a key
/// path and carries on with a placeholder, and settings are returned only when
/// no problem was recorded.
struct ConfigValidator {
    let environment: ConfigEnvironment
    let baseDirectory: URL
    private(set) var problems: [ConfigProblem] = []
    /// The `cloudflare` keyword's resolution, computed once per document.
    var cloudflareCA: Result<TrustSource, CertsDirectoryNotFound>?
    var certsDir: String?

    init(environment: ConfigEnvironment, baseDirectory: URL) {
        self.environment = environment
        self.baseDirectory = baseDirectory
    }

    mutating func report(_ keyPath: String, _ message: String) {
        problems.append(ConfigProblem(keyPath: keyPath, message: message))
    }

    /// The value of a required field, reporting its absence unless already reported.
    mutating func required<T>(_ field: ConfigField<T>, _ message: String = "required") -> T? {
        if let value = field.value { return value }
        if !field.alreadyReported { report(field.keyPath, message) }
        return nil
    }

    /// The field's value when it lies in `range`; otherwise reports it (with `note` after the
    /// range, if any) and returns nil. Nil as well when the field is absent.
    mutating func integer(_ field: ConfigField<Int>, in range: ClosedRange<Int>, note: String = "") -> Int? {
        guard let value = field.value else { return nil }
        guard range.contains(value) else {
            report(field.keyPath, "\(value) is out of range \(range)" + (note.isEmpty ? "" : " (\(note))"))
            return nil
        }
        return value
    }

    /// Maps a string onto one of `choices`, naming the accepted values when it fails.
    mutating func choice<T>(_ field: ConfigField<String>, _ choices: [(String, T)], default fallback: T) -> T {
        guard let text = field.value else { return fallback }
        if let match = choices.first(where: { $0.0 == text }) { return match.1 }
        report(field.keyPath, "'\(text)' is not one of: \(choices.map(\.0).joined(separator: ", "))")
        return fallback
    }

    /// The absolute path a configured path refers to.
    func resolve(_ path: String) -> String {
        ConfigPath.resolve(path, against: baseDirectory)
    }

    /// Reads one configured file as `kind`, reporting failures at the field's key path.
    mutating func load(_ field: ConfigField<String>, as kind: PEMFile.Kind) -> PEMSource? {
        guard let path = field.value else { return nil }
        guard !path.isEmpty else {
            report(field.keyPath, "empty path")
            return nil
        }
        let resolved = resolve(path)
        switch PEMFile.load(resolved, as: kind) {
        case .success(let bytes): return PEMSource(origin: resolved, pem: bytes)
        case .failure(let error):
            report(field.keyPath, error.message)
            return nil
        }
    }

    /// The whole document; nil when any problem was found.
    mutating func validate(_ document: ConfigDocument) -> PullGuardSettings? {
        certsDir = document.certsDir.value
        if let dir = certsDir {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: resolve(dir), isDirectory: &isDirectory) || !isDirectory.boolValue {
                report(document.certsDir.keyPath, "\(resolve(dir)): not a directory")
            }
        }
        let listeners = listenAddresses(document.listen)
        let admin = adminSettings(document.admin, listeners: listeners)
        let workers = workerCount(document.workers)
        let logLevel = choice(document.logLevel, Logger.Level.allCases.map { ($0.rawValue, $0) }, default: .info)
        let unknownSNI = choice(
            document.unknownSNI, [("default", TLSListenerSettings.UnknownSNI.defaultSite), ("reject", .reject)],
            default: .defaultSite)
        let headers = identityHeaders(document.headers)
        let timeouts = proxyTimeouts(document.timeouts)
        let tlsTiming = tlsTiming(document.timeouts)
        let limits = connectionLimits(document.limits)
        let drainTimeout = duration(document.drainTimeout) ?? PullGuardSettings.defaultDrainTimeout
        let upstreamLimit = upstreamConnectionLimit(document.limits)
        let reload = reloadSettings(document)
        let accessLog = accessLogSettings(document.accessLog)
        let requestID = requestIDSettings(document.headers, identity: headers)
        let sites = self.sites(document.sites)
        // Checked against every declared name, so a site with some other problem
        // does not also make a correct default_site look wrong.
        let declaredNames = (document.sites.value ?? []).compactMap(\.name.value)
        let defaultSite = defaultSiteName(document.defaultSite, sites: declaredNames)

        guard problems.isEmpty else { return nil }
        // The default site's name becomes an identity here, once. A site that did not
        // validate is missing from `sites`, and its problem was reported (above, or by the
        // YAML reader, whose problems this validator does not see); only when every
        // declared site was built is a failure here a problem of its own.
        let table: SiteTable
        do {
            table = try SiteTable(sites, defaultSiteName: defaultSite)
        } catch {
            if !sites.isEmpty, sites.count == (document.sites.value ?? []).count {
                report(document.defaultSite.keyPath, "\(error)")
            }
            return nil
        }
        return PullGuardSettings(
            listeners: listeners,
            workers: workers,
            sites: table,
            tls: TLSListenerSettings(unknownSNI: unknownSNI,
                                     handshakeTimeout: tlsTiming.handshake, sessionLifetime: tlsTiming.sessionLifetime),
            proxy: ProxySettings(headers: headers, timeouts: timeouts,
                                 allowUnderscoresInHeaders: document.headers.allowUnderscores.value ?? false,
                                 maxUpstreamConnectionsPerSite: upstreamLimit, http2: http2(document.http2),
                                 requestID: requestID),
            limits: limits,
            drainTimeout: drainTimeout,
            logLevel: logLevel,
            reload: reload,
            admin: admin,
            accessLog: accessLog
        )
    }

    /// On at `AdminSettings.defaultListen` unless `off`; its address must parse and must not be a proxy listener's.
    private mutating func adminSettings(_ document: AdminDocument, listeners: [ListenAddress]) -> AdminSettings {
        if document.off { return AdminSettings(listen: nil) }
        guard let text = document.listen.value else { return AdminSettings() }
        guard let address = ListenAddress(parsing: text) else {
            report(document.listen.keyPath, "'\(text)' is not an address to listen on; use host:port, [v6]:port, :port or off")
            return AdminSettings()
        }
        if address.port != 0, listeners.contains(address) {
            report(document.listen.keyPath, "\(address) is also a proxy listener; the admin listener needs its own port")
        }
        return AdminSettings(listen: address)
    }

    private mutating func listenAddresses(_ field: ConfigField<[ConfigField<String>]>) -> [ListenAddress] {
        guard let entries = required(field) else { return [] }
        if entries.isEmpty, !field.alreadyReported { report(field.keyPath, "at least one address is required") }
        var seen: Set<ListenAddress> = []
        return entries.compactMap { entry in
            guard let text = entry.value else { return nil }
            guard let address = ListenAddress(parsing: text) else {
                report(entry.keyPath, "'\(text)' is not an address to listen on; use host:port, [v6]:port or :port")
                return nil
            }
            guard seen.insert(address).inserted else {
                report(entry.keyPath, "\(address) is listed twice")
                return nil
            }
            return address
        }
    }

    private mutating func workerCount(_ field: ConfigField<Int>) -> Int {
        guard field.value != nil else { return max(1, environment.coreCount) }
        return integer(field, in: 1...1024) ?? 1
    }

    private mutating func defaultSiteName(_ field: ConfigField<String>, sites: [String]) -> String {
        guard let name = field.value else { return sites.first ?? "" }
        if !sites.isEmpty, !sites.contains(name) {
            report(field.keyPath, "no site is named '\(name)'; sites are: \(sites.joined(separator: ", "))")
        }
        return name
    }
}
