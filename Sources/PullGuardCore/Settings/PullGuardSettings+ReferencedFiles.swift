/// The files a configuration depends on, so a watcher knows what to look at.
extension PullGuardSettings {
    /// Every file this configuration was built from, absolute paths, each once, in config
    /// order: the config file itself (when loaded from one), then per site its certificate
    /// chains and keys, trust bundles (including the file the `cloudflare` keyword
    /// resolved to) and CRLs, then the `client_ips` files (the `cloudflare` keyword's too).
    ///
    /// Paths are as configured (resolved against the config folder, not through symlinks):
    /// a Kubernetes Secret mounted as `cert.pem -> ..data/cert.pem` must be watched at the
    /// path the config names, since that is the path whose target an update re-points.
    /// `pid_file` is not included: PullGuard writes it, it does not read it.
    public var referencedFiles: [String] {
        var files: [String] = []
        var seen: Set<String> = []
        func add(_ path: String?) {
            // `PEMSource.origin` may be a label rather than a path; only absolute paths are files.
            guard let path, path.hasPrefix("/"), seen.insert(path).inserted else { return }
            files.append(path)
        }
        add(configFile)
        for site in sites {
            for identity in site.tls.identities {
                add(identity.certificateChain.origin)
                add(identity.privateKey.origin)
            }
            for trust in site.tls.trustSources { add(trust.bundle.origin) }
            for crl in site.tls.crls { add(crl.origin) }
        }
        for file in clientAddresses?.files ?? [] { add(file) }
        return files
    }
}
