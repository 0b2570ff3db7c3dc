internal import COpenSSL
import Foundation
import PullGuardCore

/// Owns one `X509_STORE`: a site's client-certificate trust anchors and CRLs.
///
/// Built once per configuration generation, off the event loop, then only read
/// by handshakes (OpenSSL locks the store internally for lookups), so
/// nothing about trust touches the disk per connection.
public final class X509TrustStore: @unchecked Sendable {
    // `@unchecked Sendable`: filled completely in `init`, read-only afterwards.
    let pointer: OpaquePointer
    /// SHA-256 of each anchor → the trust source that brought it, to name the anchor of a verified chain.
    let sourceByAnchorFingerprint: [String: String]
    /// The anchors as parsed, kept for the CertificateRequest's CA name list.
    let anchors: [X509Certificate]
    /// The distinct anchors in config order: what `PeerIdentity.anchorIndex` indexes and
    /// what the per-anchor metrics and expiry gauges are built from.
    public let anchorInfos: [TrustAnchorInfo]
    /// SHA-256 of each anchor → its position in `anchorInfos`, to name the anchor of a verified chain.
    let anchorIndexByFingerprint: [String: Int]
    /// Each CRL file with its earliest nextUpdate, for the expiry gauges.
    public let crlInfos: [CRLInfo]

    /// - Throws: when a bundle holds no certificate, a pinned source does not match its pin,
    ///   or a CRL cannot be parsed; each error names the file.
    public init(trustSources: [TrustSource], crls: [PEMSource]) throws {
        guard let store = X509_STORE_new() else { throw OpenSSLError.drain("allocating an X509_STORE") }
        pointer = store
        var sources: [String: String] = [:]
        var anchors: [X509Certificate] = []
        var infos: [TrustAnchorInfo] = []
        var indices: [String: Int] = [:]
        for source in trustSources {
            let certificates = try X509Certificate.loadAll(pem: source.bundle.pem, origin: source.bundle.origin)
            for certificate in certificates {
                let fingerprint = certificate.sha256Fingerprint
                if let pin = source.pinnedSHA256, fingerprint != pin {
                    throw TrustStoreError.pinMismatch(origin: source.bundle.origin, expected: pin, found: fingerprint)
                }
                OpenSSLError.clearQueue()
                // Adding the same anchor twice (old and new bundle overlap during a rotation) is fine.
                if X509_STORE_add_cert(store, certificate.pointer) != 1 {
                    let error = OpenSSLError.drain("adding \(certificate.subjectDescription) from \(source.bundle.origin)")
                    if !error.contains(.certificateAlreadyInHashTable) { throw error }
                }
                if sources[fingerprint] == nil {
                    sources[fingerprint] = source.name
                    indices[fingerprint] = infos.count
                    infos.append(TrustAnchorInfo(name: source.name, sha256: fingerprint, subject: certificate.subjectDescription,
                                                 notAfter: X509Certificate.date(X509_get0_notAfter(certificate.pointer))))
                }
                anchors.append(certificate)
            }
        }
        var nextUpdates: [Date] = []
        var crlInfos: [CRLInfo] = []
        for crl in crls {
            let added = try Self.addCRLs(crl, to: store)
            nextUpdates += added
            crlInfos.append(CRLInfo(origin: crl.origin, nextUpdate: added.min()))
        }
        earliestCRLNextUpdate = nextUpdates.min()
        self.crlInfos = crlInfos
        anchorInfos = infos
        anchorIndexByFingerprint = indices
        sourceByAnchorFingerprint = sources
        self.anchors = anchors
        hasCRLs = !crls.isEmpty
    }

    /// True when CRLs were configured, so verification must check revocation for the whole chain.
    let hasCRLs: Bool
    /// The earliest nextUpdate among the CRLs: no cached verdict may outlive it.
    let earliestCRLNextUpdate: Date?

    deinit {
        X509_STORE_free(pointer)
    }

    /// Adds every CRL in `source`; returns their nextUpdate times.
    private static func addCRLs(_ source: PEMSource, to store: OpaquePointer) throws -> [Date] {
        OpenSSLError.clearQueue()
        var count = 0
        var nextUpdates: [Date] = []
        try withMemoryBIO(source.pem) { bio in
            while let crl = PEM_read_bio_X509_CRL(bio, nil, nil, nil) {
                defer { X509_CRL_free(crl) }
                guard X509_STORE_add_crl(store, crl) == 1 else {
                    throw OpenSSLError.drain("adding a CRL from \(source.origin)")
                }
                if let next = X509_CRL_get0_nextUpdate(crl) { nextUpdates.append(X509Certificate.date(next)) }
                count += 1
            }
        }
        let trailing = ERR_peek_last_error()
        if trailing != 0 && !(ERR_GET_LIB(trailing) == ERR_LIB_PEM && ERR_GET_REASON(trailing) == PEM_R_NO_START_LINE) {
            throw OpenSSLError.drain("reading CRLs from \(source.origin)")
        }
        OpenSSLError.clearQueue()
        if count == 0 {
            throw OpenSSLError(operation: "\(source.origin) holds no PEM CRL (expected -----BEGIN X509 CRL-----)")
        }
        return nextUpdates
    }
}

public enum TrustStoreError: Error, CustomStringConvertible, Sendable {
    case pinMismatch(origin: String, expected: String, found: String)

    public var description: String {
        switch self {
        case .pinMismatch(let origin, let expected, let found):
            return "\(origin) is not the Cloudflare Authenticated Origin Pulls CA: its SHA-256 fingerprint is \(found), "
                + "expected \(expected); refusing to trust it (restore the file shipped in certs/)"
        }
    }
}
