import Foundation
import PullGuardCore

/// What to put into a certificate the built-in generator issues. Plain values:
/// the OpenSSL wrapper (`OpenSSL/CertificateIssuer.swift`) turns them into X.509.
public struct CertificateProfile: Sendable, Hashable {
    public var commonName: String
    public var organization: String?
    public var isCA: Bool
    /// basicConstraints pathLenConstraint for CAs; nil = unlimited.
    public var pathLength: Int?
    /// nil = no extendedKeyUsage extension at all.
    public var extendedKeyUsage: [ExtendedKeyUsage]?
    public var dnsNames: [String]
    public var uris: [String]
    public var notBefore: Date
    public var notAfter: Date
    public var digest: SignatureDigest
    public var key: KeyAlgorithm

    public init(
        commonName: String, organization: String? = nil, isCA: Bool = false, pathLength: Int? = nil,
        extendedKeyUsage: [ExtendedKeyUsage]? = nil, dnsNames: [String] = [], uris: [String] = [],
        notBefore: Date = Date().addingTimeInterval(-3600), notAfter: Date = Date().addingTimeInterval(365 * 86400),
        digest: SignatureDigest = .sha256, key: KeyAlgorithm = .ecdsaP256
    ) {
        self.commonName = commonName
        self.organization = organization
        self.isCA = isCA
        self.pathLength = pathLength
        self.extendedKeyUsage = extendedKeyUsage
        self.dnsNames = dnsNames
        self.uris = uris
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.digest = digest
        self.key = key
    }
}

public enum KeyAlgorithm: Sendable, Hashable {
    case ecdsaP256
    case rsa(bits: Int)
}

/// A certificate and its private key, as PEM text.
public struct IssuedCertificate: Sendable, Hashable {
    public var certificatePEM: String
    public var privateKeyPEM: String
    /// Upper-case hex serial, as used in CRLs and `X-Client-Cert-Serial`.
    public var serialHex: String

    public init(certificatePEM: String, privateKeyPEM: String, serialHex: String) {
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
        self.serialHex = serialHex
    }
}
