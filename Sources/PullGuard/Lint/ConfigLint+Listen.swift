import PullGuardCore

/// A listener reachable from other hosts with no `client_ips` allow-list: every address
/// on the internet can open connections and make PullGuard run TLS handshakes, and with
/// Cloudflare in front only Cloudflare's ranges need to.
extension ConfigLint {
    /// Whether the configuration restricts client addresses (top-level `client_ips`).
    /// It is the only place the lint reads it.
    static func clientIPsConfigured(in settings: PullGuardSettings) -> Bool {
        settings.clientAddresses != nil
    }

    static func publicListeners(_ listeners: [ListenAddress], hasClientIPs: Bool, keyPaths: LintKeyPaths) -> [ConfigWarning] {
        guard !hasClientIPs else { return [] }
        return listeners.enumerated().compactMap { index, listener in
            guard !isLoopback(listener.host) else { return nil }
            return ConfigWarning(
                keyPath: keyPaths.listen(index),
                message: "\(listener) accepts connections from any address and no client_ips allow-list is set",
                fix: "list the addresses allowed to connect (Cloudflare's IP ranges with AOP) in top-level client_ips, "
                    + "or listen on 127.0.0.1 behind another proxy")
        }
    }

    /// 127.0.0.0/8, ::1 and `localhost`; everything else, the wildcard addresses
    /// (0.0.0.0, ::) and private ranges included, is reachable from other hosts.
    static func isLoopback(_ host: String) -> Bool {
        let lowered = host.lowercased()
        if lowered == "localhost" || lowered == "::1" || lowered == "0:0:0:0:0:0:0:1" { return true }
        let octets = lowered.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
