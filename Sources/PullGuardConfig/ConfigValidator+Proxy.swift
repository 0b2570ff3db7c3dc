import NIOCore
import PullGuardCore

/// `headers:`, `timeouts:` and the proxy's `limits:`, the proxy-wide settings.
extension ConfigValidator {
    mutating func identityHeaders(_ document: HeadersDocument) -> IdentityHeaderNames {
        var names = IdentityHeaderNames()
        var seen: [String: String] = [:]
        let fields: [(ConfigField<String>, WritableKeyPath<IdentityHeaderNames, String>)] = [
            (document.verify, \.verify), (document.subject, \.subject), (document.issuer, \.issuer),
            (document.serial, \.serial), (document.fingerprint, \.fingerprint), (document.notAfter, \.notAfter),
        ]
        for (field, keyPath) in fields {
            if let name = field.value {
                if ValueCheck.isHeaderName(name) {
                    names[keyPath: keyPath] = name
                } else {
                    report(field.keyPath, "'\(name)' is not a valid HTTP header name")
                }
            }
            // Two identity values under one name would let one overwrite the other upstream.
            let effective = names[keyPath: keyPath].lowercased()
            if let first = seen[effective] {
                report(field.keyPath, "'\(names[keyPath: keyPath])' is already used by \(first)")
            } else {
                seen[effective] = field.keyPath
            }
        }
        names.rfc9440 = document.rfc9440.value ?? false
        return names
    }

    mutating func proxyTimeouts(_ document: TimeoutsDocument) -> ProxyTimeouts {
        var timeouts = ProxyTimeouts()
        let fields: [(ConfigField<String>, WritableKeyPath<ProxyTimeouts, TimeAmount>)] = [
            (document.upstreamConnect, \.upstreamConnect),
            (document.upstreamResponse, \.upstreamResponse),
            (document.clientIdle, \.downstreamIdle),
            (document.clientHeader, \.clientHeader),
            (document.clientBody, \.clientBody),
            (document.clientSend, \.clientSend),
            (document.tunnelIdle, \.tunnelIdle),
        ]
        for (field, keyPath) in fields {
            if let amount = duration(field) { timeouts[keyPath: keyPath] = amount }
        }
        return timeouts
    }

    /// `limits.max_upstream_connections_per_site`: 0 means no cap, as in nginx's `max_conns=0`.
    mutating func upstreamConnectionLimit(_ document: LimitsDocument) -> Int? {
        let field = document.maxUpstreamConnectionsPerSite
        guard field.value != nil else { return ProxySettings.defaultMaxUpstreamConnectionsPerSite }
        guard let value = integer(field, in: 0...1_000_000, note: "0: no cap") else { return nil }
        return value == 0 ? nil : value
    }
}
