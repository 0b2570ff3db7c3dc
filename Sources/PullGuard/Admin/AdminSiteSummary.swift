import Foundation
import PullGuardCore

/// One site as `/config` shows it: names, mode, upstream and the trust anchors by name and
/// fingerprint. Built only from values that are safe to show: no file contents, no key
/// material, no key paths (a key's location is an attacker's map, its bytes the prize).
public struct AdminSiteSummary: Sendable, Encodable, Equatable {
    public struct Anchor: Sendable, Encodable, Equatable {
        public var name: String
        public var sha256: String
        public var subject: String
        public var notAfter: String

        enum CodingKeys: String, CodingKey {
            case name, sha256, subject
            case notAfter = "not_after"
        }
    }

    public var name: String
    public var serverNames: [String]
    public var mode: String
    public var upstream: String
    public var trustAnchors: [Anchor]
    public var serverCertificatesNotAfter: [String]

    enum CodingKeys: String, CodingKey {
        case name, mode, upstream
        case serverNames = "server_names"
        case trustAnchors = "trust_anchors"
        case serverCertificatesNotAfter = "server_certificates_not_after"
    }

    /// One summary per site, by `SiteID.index`; `inventory` is the same generation's
    /// `ServerContextSet.inventory` (what was actually loaded).
    public static func summaries(sites: SiteTable, inventory: [SiteInventory]) -> [AdminSiteSummary] {
        zip(sites, inventory).map { site, loaded in
            AdminSiteSummary(
                name: site.name, serverNames: site.serverNames, mode: site.tls.clientAuth.mode.rawValue,
                upstream: "http://\(site.proxy.upstream.host):\(site.proxy.upstream.port)",
                trustAnchors: loaded.anchors.map {
                    Anchor(name: $0.name, sha256: $0.sha256, subject: $0.subject, notAfter: rfc3339($0.notAfter))
                },
                serverCertificatesNotAfter: loaded.serverCertificatesNotAfter.map(rfc3339))
        }
    }
}

/// RFC 3339 in UTC (`2026-12-01T16:36:43Z`).
func rfc3339(_ date: Date) -> String {
    date.formatted(.iso8601)
}
