import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
@testable import PullGuardCore
@testable import PullGuardTooling
@testable import PullGuardObservability
@testable import PullGuardProxy
import PullGuardTestSupport

/// Stands in for the TLS handler: fires the handshake event as soon as the connection is up.
final class FakeTLSHandler: ChannelInboundHandler {
    typealias InboundIn = NIOAny
    let event: TLSConnectionEstablished

    init(event: TLSConnectionEstablished) { self.event = event }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        context.fireUserInboundEventTriggered(event)
    }
}

/// An in-process proxy without TLS in front of a `BuiltInUpstream`, on loopback, port 0.
final class ProxyTestHarness: Sendable {
    let group: MultiThreadedEventLoopGroup
    let upstream: BuiltInUpstream
    let server: Channel

    var port: Int { server.localAddress?.port ?? 0 }
    var base: String { "http://127.0.0.1:\(port)" }

    /// The counters the proxy under test increments.
    let metrics: PullGuardMetrics

    private init(group: MultiThreadedEventLoopGroup, upstream: BuiltInUpstream, server: Channel, metrics: PullGuardMetrics) {
        self.metrics = metrics
        self.group = group
        self.upstream = upstream
        self.server = server
    }

    /// `upstreamOverride` replaces site a's upstream (e.g. a closed port).
    /// - Parameter upstreamHost: how site `a` names the built-in upstream (which listens
    ///   on 127.0.0.1): an address, or a name to be resolved on each connect.
    static func start(upstreamOverride: UpstreamAddress? = nil, upstreamHost: String = "127.0.0.1",
                      timeouts: ProxyTimeouts = ProxyTimeouts(),
                      maxUpstreamConnectionsPerSite: Int? = ProxySettings.defaultMaxUpstreamConnectionsPerSite,
                      verification: VerificationOutcome = TestCertificates.success()) async throws -> ProxyTestHarness {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let upstream = try await BuiltInUpstream.start(host: "127.0.0.1", port: 0, group: group)
        let real = UpstreamAddress(host: "127.0.0.1", port: upstream.port)
        let sites = SiteTable(testing: [
            Site.forwarding(name: "a", serverNames: ["a.example"],
                            upstream: upstreamOverride ?? UpstreamAddress(host: upstreamHost, port: upstream.port)),
            Site.forwarding(name: "b", serverNames: ["b.example"], upstream: real),
        ])
        let settings = ProxySettings(
            timeouts: timeouts, maxUpstreamConnectionsPerSite: maxUpstreamConnectionsPerSite)
        let metrics = PullGuardMetrics(eventLoops: 1)
        let proxy = HTTPProxy(settings: settings, sites: sites, logger: Logger(label: "pullguard.test.proxy"), metrics: metrics)
        let event = TLSConnectionEstablished(site: SiteID(index: 0), siteName: "a", serverName: "a.example", alpn: "http/1.1",
                                             protocolVersion: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256",
                                             resumed: false, verification: verification)
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(FakeTLSHandler(event: event))
                    try proxy.configure(channel.pipeline.syncOperations, channel: channel, loop: 0)
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return ProxyTestHarness(group: group, upstream: upstream, server: server, metrics: metrics)
    }

    func shutdown() async throws {
        try await server.close()
        try await upstream.shutdown()
        try await group.shutdownGracefully()
    }

    /// A loopback port nothing listens on: bound, then closed again.
    static func closedPort() async throws -> Int {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 9
        try await channel.close()
        try await group.shutdownGracefully()
        return port
    }
}

/// Runs `curl` (bounded by `--max-time`) and returns what it printed.
func curl(_ arguments: [String]) async throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["curl", "-sS", "--max-time", "20"] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    let reader = Task.detached { pipe.fileHandleForReading.readDataToEndOfFile() }
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
        process.terminationHandler = { _ in continuation.resume() }
        do { try process.run() } catch { continuation.resume(throwing: error) }
    }
    return String(decoding: await reader.value, as: UTF8.self)
}
