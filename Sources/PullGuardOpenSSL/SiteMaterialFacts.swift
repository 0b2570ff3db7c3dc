internal import COpenSSL
import Foundation
import PullGuardCore

/// One site's TLS material as values, for `pullguard check`'s warnings: each server
/// chain, each trust source's certificates (with their path-length constraints) and each
/// CRL file's nextUpdate. Parsed with the same loaders the server context uses, off the
/// serving path: the server itself never builds this.
public struct SiteMaterialFacts: Sendable {
    /// One per configured certificate, in config order: leaf first, then its intermediates.
    public var serverChains: [[CertificateFacts]]
    /// One per trust source, in config order: every certificate of the bundle.
    public var trustSources: [[TrustCertificateFacts]]
    /// One per CRL file, in config order.
    public var crls: [CRLInfo]

    public init(serverChains: [[CertificateFacts]], trustSources: [[TrustCertificateFacts]], crls: [CRLInfo]) {
        self.serverChains = serverChains
        self.trustSources = trustSources
        self.crls = crls
    }

    /// - Throws: what the server context would throw for an unreadable file (run
    ///   `ServerPreflight` first to report those with their site).
    public static func read(_ site: TLSSiteSettings) throws -> SiteMaterialFacts {
        let chains = try site.identities.map { identity in
            try X509Certificate.loadAll(pem: identity.certificateChain.pem, origin: identity.certificateChain.origin)
                .map(\.facts)
        }
        let trust = try site.trustSources.map { source in
            try X509Certificate.loadAll(pem: source.bundle.pem, origin: source.bundle.origin).map { certificate in
                TrustCertificateFacts(facts: certificate.facts, pathLength: certificate.pathLengthConstraint)
            }
        }
        // The trust store's own CRL reader, one file at a time, so each file keeps its nextUpdate.
        let crls = try site.crls.flatMap { try X509TrustStore(trustSources: [], crls: [$0]).crlInfos }
        return SiteMaterialFacts(serverChains: chains, trustSources: trust, crls: crls)
    }
}

/// A certificate from a trust bundle: its facts and its basicConstraints pathLenConstraint.
public struct TrustCertificateFacts: Sendable, Hashable {
    public var facts: CertificateFacts
    /// The most intermediates allowed below this CA (RFC 5280 4.2.1.9); nil when unconstrained.
    public var pathLength: Int?

    public init(facts: CertificateFacts, pathLength: Int?) {
        self.facts = facts
        self.pathLength = pathLength
    }
}

extension X509Certificate {
    /// basicConstraints pathLenConstraint; nil when absent (or for a non-CA certificate).
    var pathLengthConstraint: Int? {
        let length = X509_get_pathlen(pointer)
        return length < 0 ? nil : Int(length)
    }
}
