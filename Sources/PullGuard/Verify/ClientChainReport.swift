import Foundation
import PullGuardCore
import PullGuardOpenSSL

/// `pullguard verify`'s answer as a value the binary prints, as text or JSON: the
/// verdict, the alert, the reason, the chain as built, the anchor, validity windows,
/// revocation and the allow-list entry. Made from a `ClientChainCheck`.
public struct ClientChainReport: Sendable, Codable {
    public struct Certificate: Sendable, Codable {
        public var depth: Int
        public var subject: String
        public var issuer: String
        public var serial: String
        public var sha256: String
        public var notBefore: Date
        public var notAfter: Date
        /// `valid`, `expired` or `not yet valid`, at the time of the check.
        public var validity: String
    }

    /// `admitted`, `refused` or `forwarded_unverified`.
    public var verdict: String
    public var site: String?
    public var mode: String?
    /// The TLS alert the client would get; nil when the handshake completes.
    public var alert: String?
    public var reason: String
    /// What upstream would receive in `X-Client-Verify` (nil when the handshake fails).
    public var clientVerifyHeader: String?
    /// Number of intermediates between the leaf and the anchor (`builtChain.count - 2`
    /// when it verified), the number `verify_depth` limits; nil when no chain was built.
    public var depth: Int?
    public var presentedCount: Int
    public var builtChain: [Certificate]
    public var trustSource: String?
    public var anchor: String?
    public var crl: String
    public var allowList: String

    /// Exit status of `pullguard verify`: 0 admitted, 1 otherwise.
    public var admitted: Bool { verdict == ClientChainCheck.Verdict.admitted.rawValue }

    init(_ check: ClientChainCheck, now: Date) {
        verdict = check.verdict.rawValue
        site = check.siteName
        mode = check.mode?.rawValue
        alert = check.alert?.name
        reason = check.reason
        clientVerifyHeader = check.verdict == .refused ? nil : check.outcome?.headerValue
        presentedCount = check.presented.count
        builtChain = check.builtChain.enumerated().map { depth, facts in
            Certificate(depth: depth, subject: facts.subject, issuer: facts.issuer, serial: facts.serialHex,
                        sha256: facts.sha256Fingerprint, notBefore: facts.notBefore, notAfter: facts.notAfter,
                        validity: now < facts.notBefore ? "not yet valid" : now > facts.notAfter ? "expired" : "valid")
        }
        if check.verdict == .admitted {
            depth = max(0, check.builtChain.count - 2)
            anchor = check.builtChain.last?.subject
        } else {
            depth = nil
            anchor = nil
        }
        trustSource = check.trustSource
        switch check.crl {
        case .notConfigured: crl = "not checked (the site has no crl)"
        case .passed(let files): crl = "not revoked (checked against \(files.joined(separator: ", ")))"
        case .failed(let reason): crl = "failed: \(reason)"
        case .notReached: crl = "not reached (the chain failed first)"
        }
        if !check.hasAllowList {
            allowList = "none configured (every verified chain is admitted)"
        } else if let match = check.allowListMatch {
            allowList = "matched \(match)"
        } else {
            allowList = check.verdict == .admitted ? "matched" : "no entry matched, or not reached"
        }
    }

    /// The human form, one fact per line.
    public var lines: [String] {
        var lines = ["verdict: \(verdict)"]
        if let site { lines.append("site: \(site) (mode \(mode ?? "require"))") }
        lines.append("alert: \(alert ?? "none (the handshake completes)")")
        lines.append("reason: \(reason)")
        if let clientVerifyHeader { lines.append("X-Client-Verify: \(clientVerifyHeader)") }
        let depthText = depth.map { ", depth \($0) (intermediates, as verify_depth counts)" } ?? ""
        lines.append("chain as built: \(builtChain.count) certificates from \(presentedCount) presented\(depthText)")
        for certificate in builtChain {
            lines.append("  \(certificate.depth): \(certificate.subject)")
            lines.append("     issuer \(certificate.issuer), serial \(certificate.serial)")
            lines.append("     valid \(Self.format(certificate.notBefore)) to \(Self.format(certificate.notAfter))"
                + " (\(certificate.validity))")
        }
        if let trustSource { lines.append("trust anchor: \(anchor ?? "?") from \(trustSource)") }
        lines.append("crl: \(crl)")
        lines.append("allow-list: \(allowList)")
        return lines
    }

    /// Pretty-printed JSON with sorted keys and ISO 8601 dates.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    private static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
