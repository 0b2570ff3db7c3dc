import Foundation

/// What PullGuard knows about one X.509 certificate, as plain values.
///
/// The OpenSSL wrapper extracts these from a parsed certificate; everything in
/// `Verification/` decides on them without touching C. Keeping policy on values
/// is what lets the allow-list and weak-certificate rules be unit tested with
/// hand-made facts instead of real certificates.
public struct CertificateFacts: Sendable, Hashable {
    /// Subject in RFC 2253 order and escaping (`CN=client,O=Example`), as nginx's `$ssl_client_s_dn`.
    public var subject: String
    /// Issuer in the same format as `subject`.
    public var issuer: String
    /// All commonName values of the subject.
    public var commonNames: [String]
    /// Serial number as upper-case hex without separators (nginx's `$ssl_client_serial`).
    public var serialHex: String
    /// SHA-256 over the DER certificate, lower-case hex.
    public var sha256Fingerprint: String
    /// SHA-256 over the DER SubjectPublicKeyInfo, lower-case hex (HPKP-style pin, hex rather than base64).
    public var spkiSHA256: String
    public var dnsNames: [String]
    public var uris: [String]
    public var notBefore: Date
    public var notAfter: Date
    /// `nil` when the certificate has no extendedKeyUsage extension at all,
    /// which RFC 5280 reads as "any purpose".
    public var extendedKeyUsage: [ExtendedKeyUsage]?
    public var publicKey: PublicKeyFacts
    /// The digest of the issuer's signature over this certificate.
    public var signatureDigest: SignatureDigest
    /// True when subject and issuer are the same name (a root or a self-signed leaf).
    public var isSelfIssued: Bool
    /// The DER encoding, kept for RFC 9440 `Client-Cert` headers.
    public var der: [UInt8]

    public init(
        subject: String, issuer: String, commonNames: [String], serialHex: String,
        sha256Fingerprint: String, spkiSHA256: String, dnsNames: [String], uris: [String],
        notBefore: Date, notAfter: Date, extendedKeyUsage: [ExtendedKeyUsage]?,
        publicKey: PublicKeyFacts, signatureDigest: SignatureDigest, isSelfIssued: Bool, der: [UInt8]
    ) {
        self.subject = subject
        self.issuer = issuer
        self.commonNames = commonNames
        self.serialHex = serialHex
        self.sha256Fingerprint = sha256Fingerprint
        self.spkiSHA256 = spkiSHA256
        self.dnsNames = dnsNames
        self.uris = uris
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.extendedKeyUsage = extendedKeyUsage
        self.publicKey = publicKey
        self.signatureDigest = signatureDigest
        self.isSelfIssued = isSelfIssued
        self.der = der
    }
}

public enum ExtendedKeyUsage: Sendable, Hashable {
    case serverAuth
    case clientAuth
    case anyExtendedKeyUsage
    /// Any other purpose, by dotted OID.
    case other(String)
}

public struct PublicKeyFacts: Sendable, Hashable {
    public enum Algorithm: String, Sendable, Hashable {
        case rsa, ec, ed25519, ed448, other
    }
    public var algorithm: Algorithm
    /// Key size in bits as OpenSSL reports it (`EVP_PKEY_get_bits`).
    public var bits: Int

    public init(algorithm: Algorithm, bits: Int) {
        self.algorithm = algorithm
        self.bits = bits
    }
}

public enum SignatureDigest: String, Sendable, Hashable {
    case md5, sha1, sha224, sha256, sha384, sha512
    /// Signatures that carry their own digest (Ed25519, Ed448) or that we could not name.
    case intrinsic
    case unknown
}
