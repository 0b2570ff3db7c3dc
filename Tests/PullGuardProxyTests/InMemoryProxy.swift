import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import PullGuardTestSupport
@testable import PullGuardCore
@testable import PullGuardProxy
@testable import PullGuardObservability

/// The proxy handler behind NIO's HTTP server codec in an `EmbeddedChannel`, whose
/// upstream connections are `EmbeddedChannel`s on the same loop: the bytes the
/// proxy writes upstream are read exactly, and parsed by `StrictHTTPRequestParser`
/// as a strict upstream would. No sockets, no timers of its own.
final class InMemoryProxy {
    let loop = EmbeddedEventLoop()
    let client: EmbeddedChannel
    /// The counters of the handler and of the pool.
    let metrics = PullGuardMetrics(eventLoops: 1)
    /// Every upstream connection the pool opened, in order.
    private(set) var upstreams: [EmbeddedChannel] = []
    /// The upstream address each of those connections was opened to.
    private(set) var upstreamAddresses: [UpstreamAddress] = []

    static let twoSites = SiteTable(testing: [
        Site.forwarding(name: "a", serverNames: ["a.example"], upstream: .init(host: "127.0.0.1", port: 8080)),
        Site.forwarding(name: "b", serverNames: ["b.example"], upstream: .init(host: "127.0.0.1", port: 8080)),
    ])

    /// - Parameters:
    ///   - site: the name of the site TLS selected; the event carries its identity in `sites`.
    ///   - verification: the connection's verdict; `.none` by default, so
    ///     PullGuard's own `X-Client-Verify` is `NONE` and any `SUCCESS` upstream was smuggled.
    convenience init(settings: ProxySettings = ProxySettings(), sites: SiteTable = InMemoryProxy.twoSites, site: String = "a",
                     verification: VerificationOutcome = .none) throws {
        try self.init(settings: settings, sites: sites, established: TLSConnectionEstablished(
            site: sites.id(named: site), siteName: site, serverName: nil, alpn: "http/1.1", protocolVersion: "TLSv1.3",
            cipher: "TLS_AES_128_GCM_SHA256", resumed: false, verification: verification))
    }

    /// - Parameter established: the event the TLS layer fires, as given.
    init(settings: ProxySettings, sites: SiteTable, established: TLSConnectionEstablished) throws {
        client = EmbeddedChannel(loop: loop)
        let pool = UpstreamPool(eventLoop: loop, maxIdlePerUpstream: 4, connectTimeout: .seconds(5),
                                counters: metrics.counters(forLoop: 0)) {
            [unowned self, loop] upstream, initialize in
            let channel = EmbeddedChannel(loop: loop)
            self.upstreams.append(channel)
            self.upstreamAddresses.append(upstream)
            return initialize(channel).flatMap {
                channel.connect(to: try! SocketAddress(ipAddress: "127.0.0.1", port: upstream.port))
            }.map { channel }
        }
        let handler = HTTPProxyHandler(settings: settings, sites: sites, pool: pool, clientIP: "192.0.2.1",
                                       logger: Logger(label: "pullguard.test.in-memory"), counters: metrics.counters(forLoop: 0))
        // The request decoder the proxy installs; responses leave the handler as bytes.
        try client.pipeline.syncOperations.addHandler(HTTPProxy.makeRequestDecoder())
        try client.pipeline.syncOperations.addHandler(handler)
        try client.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 50_000)).wait()
        client.pipeline.fireUserInboundEventTriggered(established)
    }

    /// Bytes from the client, as one read.
    func send(_ text: String) {
        _ = try? client.writeInbound(ByteBuffer(string: text))
    }

    func send(_ bytes: [UInt8]) {
        _ = try? client.writeInbound(ByteBuffer(bytes: bytes))
    }

    /// What was read from each upstream connection's outbound side so far.
    private var received: [[UInt8]] = []

    /// Everything the proxy wrote to upstream connection `index` so far (repeatable).
    func upstreamBytes(_ index: Int = 0) throws -> [UInt8] {
        guard index < upstreams.count else { return [] }
        while received.count <= index { received.append([]) }
        while let buffer = try upstreams[index].readOutbound(as: ByteBuffer.self) {
            received[index] += buffer.readableBytesView
        }
        return received[index]
    }

    /// What a strict upstream parsed from everything sent on every upstream
    /// connection; throws when the stream is ambiguous or has a partial request left.
    func upstreamRequests() throws -> [StrictHTTPRequestParser.Request] {
        var all: [StrictHTTPRequestParser.Request] = []
        for index in upstreams.indices {
            all += try StrictHTTPRequestParser.parseAll(try upstreamBytes(index))
        }
        return all
    }

    /// The upstream answers on connection `index`.
    func respond(_ index: Int = 0, _ text: String = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") throws {
        try upstreams[index].writeInbound(ByteBuffer(string: text))
    }

    /// Everything the proxy wrote to the client so far.
    func clientText() throws -> String {
        var text = ""
        while var buffer = try client.readOutbound(as: ByteBuffer.self) {
            text += buffer.readString(length: buffer.readableBytes) ?? ""
        }
        return text
    }
}
