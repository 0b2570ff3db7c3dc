import Foundation
import PullGuardCore
import PullGuardOpenSSL

/// Server certificates, trust anchors and CRLs that end within `expiryHorizon` (or have
/// ended): the server still starts with them, and then fails handshakes (an expired
/// server certificate, anchor or CRL) when the date passes. Nothing in a configuration
/// makes an expired file an error today, so these stay warnings.
extension ConfigLint {
    static func expiry(_ site: Site, index: Int, material: SiteMaterialFacts, keyPaths: LintKeyPaths,
                       now: Date) -> [ConfigWarning] {
        var warnings: [ConfigWarning] = []
        for (position, chain) in material.serverChains.enumerated() {
            for (depth, certificate) in chain.enumerated() {
                guard let when = ending(certificate.notAfter, now: now) else { continue }
                let what = depth == 0 ? "server certificate \(certificate.subject)"
                    : "intermediate \(certificate.subject) of the server chain"
                warnings.append(ConfigWarning(
                    keyPath: keyPaths.certificate(site: index, position), message: "\(what) \(when)",
                    fix: "renew it and replace the file (pullguard reload picks it up without dropping connections)"))
            }
        }
        for (position, certificates) in material.trustSources.enumerated() {
            for certificate in certificates {
                guard let when = ending(certificate.facts.notAfter, now: now) else { continue }
                warnings.append(ConfigWarning(
                    keyPath: keyPaths.trust(site: index, position),
                    message: "trust anchor \(certificate.facts.subject) \(when); client chains ending at it are refused",
                    fix: "trust the CA's successor beside it, reissue client certificates from it, then remove the old one"))
            }
        }
        for (position, crl) in material.crls.enumerated() {
            guard let nextUpdate = crl.nextUpdate, let when = ending(nextUpdate, now: now, verb: "passes its nextUpdate")
            else { continue }
            warnings.append(ConfigWarning(
                keyPath: keyPaths.crl(site: index, position),
                message: "CRL \(crl.origin) \(when); after that every chain it is needed for is refused "
                    + "(X509_V_ERR_CRL_HAS_EXPIRED)",
                fix: "publish a fresh CRL from its CA and replace the file before then"))
        }
        return warnings
    }

    /// `expires in 12 days (2026-12-13)` / `expired on 2026-11-30`, or nil when beyond the horizon.
    static func ending(_ date: Date, now: Date, verb: String = "expires") -> String? {
        let remaining = date.timeIntervalSince(now)
        guard remaining < expiryHorizon else { return nil }
        let day = dayText(date)
        if remaining <= 0 { return verb == "expires" ? "expired on \(day)" : "passed its nextUpdate on \(day)" }
        let days = Int(remaining / 86_400)
        let within = days == 0 ? "within a day" : "in \(days) day\(days == 1 ? "" : "s")"
        return verb == "expires" ? "expires \(within) (\(day))" : "\(verb) \(within) (\(day))"
    }

    private static func dayText(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d UTC", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0,
                      parts.hour ?? 0, parts.minute ?? 0)
    }
}
