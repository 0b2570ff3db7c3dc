extension TLSSiteSettings {
    /// Every setting that decides which client certificates this site admits, in one
    /// canonical byte string: trust bundles (with their pins and names), CRLs, and the
    /// policy. Its digest binds sessions to the client-auth settings they were verified
    /// under (`SessionBinding.clientAuthDigest`); names, certificates of the server and
    /// upstreams are left out on purpose, so changing them keeps sessions resumable.
    package var clientAuthCanonicalBytes: [UInt8] {
        var bytes: [UInt8] = []
        func field(_ value: some Sequence<UInt8>) {
            let data = Array(value)
            withUnsafeBytes(of: UInt32(data.count).bigEndian) { bytes += $0 }
            bytes += data
        }
        func field(_ text: String) { field(text.utf8) }
        func list(_ texts: [String]) {
            field("\(texts.count)")
            texts.forEach(field)
        }
        field("trust")
        for source in trustSources {
            field(source.name)
            field(source.pinnedSHA256 ?? "")
            field(source.bundle.pem)
        }
        field("crl")
        for crl in crls { field(crl.pem) }
        let policy = clientAuth
        field("policy")
        field(policy.mode.rawValue)
        field("\(policy.verifyDepth)")
        field("\(policy.partialChain)")
        field("\(policy.minimumRSABits)")
        list(policy.forbiddenDigests.map(\.rawValue).sorted())
        let allow = policy.allowList
        for entries in [allow.subjects, allow.commonNames, allow.dnsNames, allow.uris, allow.fingerprints, allow.spkiSHA256] {
            list(entries)
        }
        return bytes
    }
}
