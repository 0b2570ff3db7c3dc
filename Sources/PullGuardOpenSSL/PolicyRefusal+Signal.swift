internal import COpenSSL
import PullGuardCore

/// How a policy refusal shows to the client and in the logs: everything derived from
/// a `PolicyRefusal`, decided in this one place (docs/verification.md, "Alerts" and
/// "The refusal log line").
public struct PolicyRefusalSignal: Sendable, Hashable {
    /// Set on the store context; libssl chooses the alert from it.
    public var verifyError: Int32
    /// The alert libssl sends for `verifyError` (OpenSSL 3.0's `ssl_x509err2alert`).
    public var alert: TLSAlert
    /// `verify_error` in the refusal log line: `policy:allow_list`.
    public var logName: String
    /// Human text for logs and `X-Client-Verify: FAILED:<reason>`.
    public var reason: String
}

extension PolicyRefusal {
    /// OpenSSL 3.0's libssl maps verify errors to alerts itself and has no public way to
    /// send `access_denied` from certificate verification; allow-list refusals therefore
    /// surface as `handshake_failure` (`X509_V_ERR_APPLICATION_VERIFICATION`), and the
    /// refusal log line names the policy.
    public var signal: PolicyRefusalSignal {
        switch self {
        case .missingClientAuthUsage:
            return PolicyRefusalSignal(
                verifyError: X509_V_ERR_INVALID_PURPOSE, alert: .unsupportedCertificate, logName: "policy:client_auth_usage",
                reason: "certificate is not valid for client authentication (extendedKeyUsage lacks clientAuth)")
        case .weakKey(let bits, let depth):
            return PolicyRefusalSignal(
                verifyError: depth == 0 ? X509_V_ERR_EE_KEY_TOO_SMALL : X509_V_ERR_CA_KEY_TOO_SMALL, alert: .badCertificate,
                logName: "policy:weak_key", reason: "RSA key of \(bits) bits at depth \(depth) is too weak")
        case .weakSignature(let digest, let depth):
            return PolicyRefusalSignal(
                verifyError: X509_V_ERR_CA_MD_TOO_WEAK, alert: .badCertificate, logName: "policy:weak_signature",
                reason: "\(digest.rawValue.uppercased()) signature at depth \(depth) is too weak")
        case .notAllowListed:
            return PolicyRefusalSignal(
                verifyError: X509_V_ERR_APPLICATION_VERIFICATION, alert: .handshakeFailure, logName: "policy:allow_list",
                reason: "certificate is not on the site's allow-list")
        }
    }

    /// Where in the chain the refused certificate is (0 = the client's own).
    var depth: Int {
        switch self {
        case .weakKey(_, let depth), .weakSignature(_, let depth): return depth
        case .missingClientAuthUsage, .notAllowListed: return 0
        }
    }

    /// The failure value for a chain that verified but was refused by the policy.
    public func failure(chain: [CertificateFacts]) -> VerificationFailure {
        let signal = signal
        return VerificationFailure(
            kind: .policy(self), reason: signal.reason, errorName: signal.logName, depth: depth,
            certificate: depth < chain.count ? chain[depth] : chain.first, presentedLeaf: chain.first
        )
    }
}
