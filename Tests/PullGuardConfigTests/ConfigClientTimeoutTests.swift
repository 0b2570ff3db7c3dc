import Testing

/// The slow-client timeouts and the upstream cap: defaults, mapping, bad values with their key path.
@Suite struct ConfigClientTimeoutTests {
    @Test func defaultsAreNginxLike() throws {
        let settings = try ConfigTestSupport.load(ConfigTestSupport.minimal())
        #expect(settings.proxy.timeouts.clientHeader == .seconds(60))
        #expect(settings.proxy.timeouts.clientBody == .seconds(60))
        #expect(settings.proxy.timeouts.clientSend == .seconds(60))
        #expect(settings.proxy.timeouts.tunnelIdle == .seconds(60))
        #expect(settings.proxy.maxUpstreamConnectionsPerSite == 1024)
    }

    @Test func keysMap() throws {
        let yaml = ConfigTestSupport.minimal(extra: """
            timeouts:
              client_header: 300ms
              client_body: 2s
              client_send: 1m
              tunnel_idle: 1h
            limits:
              max_upstream_connections_per_site: 8
            """)
        let settings = try ConfigTestSupport.load(yaml)
        #expect(settings.proxy.timeouts.clientHeader == .milliseconds(300))
        #expect(settings.proxy.timeouts.clientBody == .seconds(2))
        #expect(settings.proxy.timeouts.clientSend == .minutes(1))
        #expect(settings.proxy.timeouts.tunnelIdle == .hours(1))
        #expect(settings.proxy.maxUpstreamConnectionsPerSite == 8)
    }

    @Test func zeroMeansNoCap() throws {
        let settings = try ConfigTestSupport.load(ConfigTestSupport.minimal(extra: "limits: {max_upstream_connections_per_site: 0}"))
        #expect(settings.proxy.maxUpstreamConnectionsPerSite == nil)
    }

    @Test func badValuesNameTheirKey() {
        let yaml = ConfigTestSupport.minimal(extra: """
            timeouts: {client_body: 5, client_send: fast}
            limits: {max_upstream_connections_per_site: -1, max_upstrem: 3}
            """)
        let paths = ConfigTestSupport.problems(yaml).map(\.keyPath).sorted()
        #expect(paths == ["limits.max_upstream_connections_per_site", "limits.max_upstrem", "timeouts.client_body",
                          "timeouts.client_send"])
    }
}
