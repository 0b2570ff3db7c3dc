import Logging
import PullGuardCore
import PullGuardObservability
import PullGuardOpenSSL

/// What one failed handshake leaves behind: exactly one counter and one log line
/// (docs/metrics.md "Log lines", docs/verification.md "The refusal log line").
struct HandshakeRefusalRecord: Equatable {
    var counter: PullGuardMetrics.Counter
    /// The per-site result it is counted as (`pullguard_site_tls_handshakes_total{result}`).
    var siteCounter: SiteCounter {
        switch counter {
        case .refusedCertificate: .handshakeRefusedCertificate
        case .refusedNoCertificate: .handshakeRefusedNoCertificate
        default: .handshakeFailed
        }
    }
    var level: Logger.Level
    var message: Logger.Message
    var metadata: Logger.Metadata

    /// The one mapping from a failure's reason to its counter, level and line. Certificate
    /// refusals and refused names are warnings (someone is knocking at the wrong door);
    /// other failures (scanners, version or cipher mismatches) are info.
    /// - Parameter client: the peer's address as the line shows it.
    init(_ failure: TLSHandshakeFailure, client: String) {
        metadata = [
            "client": "\(client)",
            "sni": "\(failure.serverName ?? "-")",
            "site": "\(failure.siteName)",
        ]
        switch failure.reason {
        case .certificateRefused(let verification):
            counter = .refusedCertificate
            level = .warning
            message = "client certificate refused"
            metadata["verify_error"] = "\(verification.errorName)"
            metadata["reason"] = "\(verification.reason)"
            metadata["depth"] = "\(verification.depth)"
            if let certificate = verification.certificate {
                metadata["subject"] = "\(certificate.subject)"
                metadata["issuer"] = "\(certificate.issuer)"
                metadata["serial"] = "\(certificate.serialHex)"
                metadata["fingerprint"] = "\(certificate.sha256Fingerprint)"
            }
        case .noCertificate:
            counter = .refusedNoCertificate
            level = .warning
            message = "client certificate refused: none presented"
            metadata["verify_error"] = "no_certificate"
        case .serverNameRefused:
            counter = .handshakeFailed
            level = .warning
            message = "TLS handshake refused: unknown server name"
            metadata["error"] = "\(failure.error)"
        case .protocolMismatch, .peerAlert, .other:
            counter = .handshakeFailed
            level = .info
            message = "TLS handshake failed"
            metadata["error"] = "\(failure.error)"
        }
    }

    /// The same refusal as an access-log line (`type: handshake_refused`).
    func logEntry(_ failure: TLSHandshakeFailure, client: String?, port: Int?) -> RefusalLogEntry {
        // Failures other than the certificate's are told by OpenSSL's own error.
        var entry = RefusalLogEntry(clientAddress: client, clientPort: port, serverName: failure.serverName,
                                    site: failure.siteName, kind: "other", reason: "\(failure.error)")
        switch failure.reason {
        case .certificateRefused(let verification):
            entry.kind = "certificate_refused"
            entry.reason = verification.reason
            entry.verifyError = verification.errorName
            entry.depth = verification.depth
            entry.certificate = verification.presentedLeaf ?? verification.certificate
        case .noCertificate:
            entry.kind = "no_certificate"
            entry.reason = "no client certificate presented"
        case .serverNameRefused: entry.kind = "server_name_refused"
        case .protocolMismatch: entry.kind = "protocol_mismatch"
        case .peerAlert: entry.kind = "peer_alert"
        case .other: break
        }
        return entry
    }
}
