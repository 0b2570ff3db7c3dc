import Foundation

/// The policy half of client verification, on values only: OpenSSL has already
/// built the chain and checked signatures, validity, depth and revocation.
///
/// Order matters for the reason a user reads: usage first (a server certificate
/// used as a client certificate is the most common mistake), then weak crypto,
/// then the allow-list.
extension ClientAuthPolicy {
    public enum Decision: Sendable, Hashable {
        case admit
        case refuse(PolicyRefusal)
    }

    /// - Parameter chain: leaf first, trust anchor last, as OpenSSL verified it.
    public func evaluate(chain: [CertificateFacts]) -> Decision {
        guard let leaf = chain.first else { return .refuse(.notAllowListed) }
        if let usages = leaf.extendedKeyUsage,
           !usages.contains(.clientAuth), !usages.contains(.anyExtendedKeyUsage) {
            return .refuse(.missingClientAuthUsage)
        }
        // The anchor's self-signature is not checked by anyone, so its digest is not judged;
        // its key size still is (a 1024-bit root can be forged).
        for (depth, certificate) in chain.enumerated() {
            if certificate.publicKey.algorithm == .rsa, certificate.publicKey.bits < minimumRSABits {
                return .refuse(.weakKey(bits: certificate.publicKey.bits, depth: depth))
            }
            let isAnchor = depth == chain.count - 1 && certificate.isSelfIssued
            if !isAnchor, forbiddenDigests.contains(certificate.signatureDigest) {
                return .refuse(.weakSignature(certificate.signatureDigest, depth: depth))
            }
        }
        if !allowList.isEmpty, !allowList.admits(leaf) {
            return .refuse(.notAllowListed)
        }
        return .admit
    }
}

extension AllowList {
    /// True when any one entry matches the leaf.
    public func admits(_ leaf: CertificateFacts) -> Bool {
        firstMatch(for: leaf) != nil
    }

    /// The first entry that matches the leaf, named by its config key (`common_names: client`),
    /// or nil. What `admits` decides on, so `pullguard verify` names the entry the handshake used.
    public func firstMatch(for leaf: CertificateFacts) -> String? {
        if let entry = subjects.first(where: { Self.sameDN($0, leaf.subject) }) { return "subjects: \(entry)" }
        if let entry = commonNames.first(where: { leaf.commonNames.contains($0) }) { return "common_names: \(entry)" }
        if let entry = dnsNames.first(where: { name in leaf.dnsNames.contains { $0.lowercased() == name.lowercased() } }) {
            return "dns_names: \(entry)"
        }
        if let entry = uris.first(where: { leaf.uris.contains($0) }) { return "uris: \(entry)" }
        if let entry = fingerprints.first(where: { Self.normalizedHex($0) == leaf.sha256Fingerprint }) {
            return "fingerprints: \(entry)"
        }
        if let entry = spkiSHA256.first(where: { Self.normalizedHex($0) == leaf.spkiSHA256 }) {
            return "spki_sha256: \(entry)"
        }
        return nil
    }

    /// Hex without colons or spaces, lower-case: `AB:CD` and `abcd` are the same fingerprint.
    public static func normalizedHex(_ text: String) -> String {
        String(text.lowercased().filter { $0 != ":" && $0 != " " })
    }

    /// DNs compare case-insensitively and ignore spaces after commas (`CN=a, O=b` = `CN=a,O=b`).
    static func sameDN(_ a: String, _ b: String) -> Bool {
        func canonical(_ dn: String) -> String {
            dn.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                .joined(separator: ",")
        }
        return canonical(a) == canonical(b)
    }
}
