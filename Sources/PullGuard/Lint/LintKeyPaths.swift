/// The key paths a warning names, in the form the configuration was written in: YAML
/// keys (`sites[0].client_auth.trust[1]`) or the single-site flags (`--client-ca`).
///
/// Settings no longer know their source's keys, but both forms map onto the settings in
/// order (a site's identities, trust sources and CRLs keep their configured order, and
/// duplicates are errors), so an index in the settings is the index in the file.
public enum LintKeyPaths: Sendable, Hashable {
    case file
    case flags

    func listen(_ index: Int) -> String {
        self == .file ? "listen[\(index)]" : "--listen"
    }

    func serverName(site: Int, _ index: Int) -> String {
        self == .file ? "sites[\(site)].server_names[\(index)]" : "--server-name"
    }

    func certificate(site: Int, _ index: Int) -> String {
        self == .file ? "sites[\(site)].certificates[\(index)].cert" : "--cert"
    }

    func trust(site: Int) -> String {
        self == .file ? "sites[\(site)].client_auth.trust" : "--client-ca"
    }

    func trust(site: Int, _ index: Int) -> String {
        self == .file ? "sites[\(site)].client_auth.trust[\(index)]" : "--client-ca"
    }

    func crl(site: Int, _ index: Int) -> String {
        self == .file ? "sites[\(site)].client_auth.crl[\(index)]" : "--crl"
    }

    func mode(site: Int) -> String {
        self == .file ? "sites[\(site)].client_auth.mode" : "--verify"
    }

    func verifyDepth(site: Int) -> String {
        self == .file ? "sites[\(site)].client_auth.verify_depth" : "--verify-depth"
    }

    /// Top-level `client_ips`, which has no flag form.
    var clientIPs: String { "client_ips" }
}
