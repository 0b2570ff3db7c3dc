import PullGuardCore

/// Why a server-side handshake failed, with what the refusal log line needs.
///
/// `reason` is decided once, in the OpenSSL layer (`OpenSSLConnection`), from what the
/// handshake callbacks recorded and from the error queue's reason codes; the layers
/// above switch on it and never look at OpenSSL's text.
public struct TLSHandshakeFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        /// The client's certificate failed the chain check or the site's policy.
        case certificateRefused(VerificationFailure)
        /// A `require` site got no client certificate.
        case noCertificate
        /// The SNI named no site (with `unknown_sni: reject`), was malformed, or changed
        /// after HelloRetryRequest.
        case serverNameRefused
        /// The client and the site share no version, cipher, group, signature algorithm
        /// or ALPN protocol.
        case protocolMismatch(TLSProtocolMismatch)
        /// The client ended the handshake with this alert.
        case peerAlert(TLSAlert)
        /// Anything else: malformed input, a scanner, plain HTTP on the TLS port.
        case other
    }

    public var siteName: String
    public var serverName: String?
    public var reason: Reason
    /// The drained error queue, for the log line of failures that are not refusals.
    public var error: OpenSSLError

    public init(siteName: String, serverName: String?, reason: Reason, error: OpenSSLError) {
        self.siteName = siteName
        self.serverName = serverName
        self.reason = reason
        self.error = error
    }

    public var description: String {
        switch reason {
        case .certificateRefused(let verification): return "client certificate refused: \(verification.reason)"
        case .noCertificate: return "client sent no certificate"
        case .serverNameRefused, .protocolMismatch, .peerAlert, .other: return error.description
        }
    }
}

extension TLSHandshakeFailure.Reason {
    /// The one classification of a failed handshake, on values.
    ///
    /// A recorded verification failure wins (it explains the rest of the queue), then a
    /// missing certificate (libssl's first entry), then a refused SNI, then the queue's
    /// reasons: an alert from the client, or no common protocol parameters.
    /// - Parameters:
    ///   - verification: what the certificate-verify callback recorded, nil if it never ran.
    ///   - serverNameRefused: the ClientHello callback refused the SNI.
    ///   - error: the drained error queue, oldest first.
    public init(verification: VerificationOutcome?, serverNameRefused: Bool, error: OpenSSLError) {
        if case .failed(let failure) = verification {
            self = .certificateRefused(failure)
        } else if error.entries.first?.reason == .peerDidNotReturnACertificate {
            self = .noCertificate
        } else if serverNameRefused {
            self = .serverNameRefused
        } else if let alert = error.receivedAlert {
            self = .peerAlert(alert)
        } else if let mismatch = error.entries.lazy.compactMap({ TLSProtocolMismatch(reason: $0.reason) }).first {
            self = .protocolMismatch(mismatch)
        } else {
            self = .other
        }
    }
}

/// Which protocol parameter the client and the site could not agree on.
public enum TLSProtocolMismatch: Sendable, Hashable {
    case version
    case cipher
    case group
    case signatureAlgorithm
    case applicationProtocol

    /// The mismatch an error reason reports, nil for any other reason.
    public init?(reason: OpenSSLErrorReason) {
        switch reason {
        case .unsupportedProtocol, .versionTooLow, .noProtocolsAvailable: self = .version
        case .noSharedCipher: self = .cipher
        case .noSharedGroups, .noSuitableKeyShare: self = .group
        case .noSharedSignatureAlgorithms, .noSuitableSignatureAlgorithm: self = .signatureAlgorithm
        case .noApplicationProtocol: self = .applicationProtocol
        default: return nil
        }
    }
}
