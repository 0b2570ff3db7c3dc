import Foundation
import PullGuardCore

/// `client_auth:`: the trust sources, CRLs and policy of one site.
extension ConfigValidator {
    /// The keyword that names the pinned Cloudflare Authenticated Origin Pulls CA.
    static let cloudflareKeyword = "cloudflare"
    static let maximumVerifyDepth = 10

    /// The TLS-layer pieces one `client_auth` block maps to.
    struct ClientAuthSettings {
        var trust: [TrustSource]
        var crls: [PEMSource]
        var policy: ClientAuthPolicy
    }

    mutating func clientAuthSettings(_ document: ClientAuthDocument) -> ClientAuthSettings {
        let mode = choice(document.mode, [("require", ClientAuthPolicy.Mode.require), ("optional", .optional)],
                          default: .require)
        let depth = integer(document.verifyDepth, in: 0...Self.maximumVerifyDepth) ?? 1
        let trust = trustSources(document.trust)
        let crls = (document.crl.value ?? []).compactMap { load($0, as: .crl) }
        return ClientAuthSettings(
            trust: trust,
            crls: crls,
            policy: ClientAuthPolicy(
                mode: mode, verifyDepth: depth, partialChain: document.partialChain.value ?? false,
                allowList: allowList(document.allow))
        )
    }

    private mutating func trustSources(_ field: ConfigField<[ConfigField<String>]>) -> [TrustSource] {
        guard let entries = required(field, "required: `cloudflare` and/or PEM CA bundle paths") else { return [] }
        if entries.isEmpty, !field.alreadyReported {
            report(field.keyPath, "at least one trust source is required: `cloudflare` and/or PEM CA bundle paths")
        }
        var seen: [String: String] = [:]
        return entries.compactMap { entry in
            guard let text = entry.value else { return nil }
            let identity = text == Self.cloudflareKeyword ? text : resolve(text)
            if let first = seen[identity] {
                report(entry.keyPath, "'\(text)' is listed twice (also \(first))")
                return nil
            }
            seen[identity] = entry.keyPath
            if text == Self.cloudflareKeyword { return cloudflareTrust(at: entry.keyPath) }
            return load(entry, as: .certificate).map { TrustSource(name: $0.origin, bundle: $0) }
        }
    }

    /// Resolves the `cloudflare` keyword once; each site using it gets the same source and pin.
    private mutating func cloudflareTrust(at keyPath: String) -> TrustSource? {
        if cloudflareCA == nil {
            cloudflareCA = CertsDirectory.cloudflareCA(
                configured: certsDir, baseDirectory: baseDirectory, environment: environment
            ).flatMap { path -> Result<TrustSource, CertsDirectoryNotFound> in
                .success(TrustSource(
                    name: Self.cloudflareKeyword, bundle: PEMSource(origin: path, pem: []),
                    pinnedSHA256: CloudflareOriginPull.caSHA256))
            }
        }
        switch cloudflareCA {
        case .success(var source):
            let file = ConfigField(keyPath: keyPath, value: source.bundle.origin)
            guard let bundle = load(file, as: .certificate) else { return nil }
            source.bundle = bundle
            return source
        case .failure(let notFound):
            report(keyPath, "\(CloudflareOriginPull.caFileName) not found; searched: "
                + notFound.searched.joined(separator: ", ")
                + " (set certs_dir, --certs-dir or PULLGUARD_CERTS_DIR)")
            return nil
        case nil:
            return nil
        }
    }

    private mutating func allowList(_ document: AllowListDocument) -> AllowList {
        AllowList(
            subjects: nonEmptyStrings(document.subjects),
            commonNames: nonEmptyStrings(document.commonNames),
            dnsNames: nonEmptyStrings(document.dnsNames).map { $0.lowercased() },
            uris: nonEmptyStrings(document.uris),
            fingerprints: sha256List(document.fingerprints, what: "SHA-256 certificate fingerprint"),
            spkiSHA256: sha256List(document.spkiSHA256, what: "SHA-256 SubjectPublicKeyInfo hash")
        )
    }

    private mutating func nonEmptyStrings(_ field: ConfigField<[ConfigField<String>]>) -> [String] {
        (field.value ?? []).compactMap { entry in
            guard let text = entry.value else { return nil }
            if text.trimmingCharacters(in: .whitespaces).isEmpty {
                report(entry.keyPath, "empty entry")
                return nil
            }
            return text
        }
    }

    /// Normalised to lower-case hex without colons, the form `CertificateFacts` uses,
    /// so the TLS layer can compare with `==`.
    private mutating func sha256List(_ field: ConfigField<[ConfigField<String>]>, what: String) -> [String] {
        (field.value ?? []).compactMap { entry in
            guard let text = entry.value else { return nil }
            guard let hex = ValueCheck.sha256Hex(text) else {
                report(entry.keyPath, "'\(text)' is not a \(what): expected 64 hex digits (colons allowed)")
                return nil
            }
            return hex
        }
    }
}
