import Logging
import NIOCore
import NIOEmbedded
import Testing
import PullGuardTestSupport
@testable import PullGuardOpenSSL
@testable import PullGuardCore
@testable import PullGuardTLS
@testable import PullGuardObservability

/// When `TLSServerHandler` writes, and what goes out together: records the handler
/// holds back so that they leave in one write with the next ones.
@Suite struct TLSServerWriteTests {
    static let pki: TestPKI = try! TestPKI()

    /// A TLS 1.3 server handler in an `EmbeddedChannel` and an OpenSSL client that has
    /// received the server's first flight and completed its side of the handshake.
    func clientPastTheServerFlight() throws -> (channel: EmbeddedChannel, client: OpenSSLClientConnection) {
        let pki = Self.pki
        let site = Site.tlsOnly(name: "a", serverNames: ["localhost"], TLSSiteSettings(
            identities: [ServerIdentitySource(pki.server, label: "server")],
            trustSources: [TrustSource(name: "ca.pem", bundle: PEMSource(label: "ca.pem", text: pki.root.certificatePEM))]))
        let contexts = try ServerContextSet(sites: SiteTable([site]))
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(TLSServerHandler(contexts: contexts, logger: logger, metrics: PullGuardMetrics(eventLoops: 1), loop: 0))
        channel.pipeline.fireChannelActive()
        let client = try OpenSSLClientConnection(
            context: OpenSSLClientContext(settings: TLSClientSettings(
                identity: ServerIdentitySource(pki.client, label: "client"),
                trustRoots: PEMSource(label: "root", text: pki.root.certificatePEM), version: .tls13)),
            serverName: "localhost")
        _ = client.handshake()
        try channel.writeInbound(try #require(client.takeCiphertext()))
        try deliver(channel, to: client)
        guard case .complete = client.handshake() else { throw HandshakeIncomplete() }
        return (channel, client)
    }

    struct HandshakeIncomplete: Error {}

    /// Moves every outbound buffer to the client; returns how many there were.
    @discardableResult
    func deliver(_ channel: EmbeddedChannel, to client: OpenSSLClientConnection) throws -> Int {
        var writes = 0
        while let records = try channel.readOutbound(as: ByteBuffer.self) {
            writes += 1
            client.receive(ciphertext: records)
        }
        return writes
    }

    /// TLS 1.3 with the request right behind the client's Finished: the session ticket
    /// is not written on its own but leaves with the response, in one write.
    @Test func ticketLeavesWithTheFirstResponse() throws {
        let (channel, client) = try clientPastTheServerFlight()
        _ = client.write(plaintext: Array("GET / HTTP/1.1\r\n\r\n".utf8))
        try channel.writeInbound(try #require(client.takeCiphertext()))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "no write of its own for the ticket")
        #expect(client.session() == nil)

        try channel.writeOutbound(ByteBuffer(string: "HTTP/1.1 204 No Content\r\n\r\n"))
        #expect(try deliver(channel, to: client) == 1)
        guard case .data(let bytes) = client.read() else { Issue.record("no response"); return }
        #expect(String(decoding: bytes, as: UTF8.self) == "HTTP/1.1 204 No Content\r\n\r\n")
        #expect(client.session() != nil, "the ticket arrived with the response")
        _ = try? channel.finish()
    }

    /// `close` sends what the application wrote but did not flush, then close_notify,
    /// in one write: `HTTPProxyHandler` closes after a `Connection: close` response
    /// without flushing the response on its own first.
    @Test func closeSendsUnflushedWritesThenCloseNotifyInOneWrite() throws {
        let (channel, client) = try clientPastTheServerFlight()
        try channel.writeInbound(try #require(client.takeCiphertext()))  // the client's Finished
        try deliver(channel, to: client)
        _ = client.read()  // takes the session ticket

        channel.write(ByteBuffer(string: "last response bytes"), promise: nil)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "nothing leaves before the close")
        let closed = channel.close()
        #expect(try deliver(channel, to: client) == 1)
        guard case .data(let bytes) = client.read() else { Issue.record("no data before close_notify"); return }
        #expect(String(decoding: bytes, as: UTF8.self) == "last response bytes")
        guard case .closed = client.read() else { Issue.record("no close_notify after the data"); return }
        try closed.wait()
    }
}

/// A client that stopped reading: the close_notify never leaves, and the connection is
/// closed anyway once the close write limit has passed.
@Suite struct TLSServerCloseLimitTests {
    /// Holds every write's promise, as a socket whose peer stopped reading would.
    final class StalledWrites: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var held: [EventLoopPromise<Void>] = []
        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            if let promise { held.append(promise) }
        }
        func flush(context: ChannelHandlerContext) {}
    }

    @Test func closeDoesNotWaitForeverForTheCloseNotifyWrite() throws {
        let writes = TLSServerWriteTests()
        let (channel, client) = try writes.clientPastTheServerFlight()
        let loop = try #require(channel.eventLoop as? EmbeddedEventLoop)
        let stalled = StalledWrites()
        try channel.pipeline.syncOperations.addHandler(stalled, position: .first)
        _ = client.write(plaintext: Array("GET / HTTP/1.1\r\n\r\n".utf8))
        try channel.writeInbound(try #require(client.takeCiphertext()))
        var closed = false
        channel.closeFuture.whenComplete { _ in closed = true }
        channel.close(promise: nil)
        loop.run()
        #expect(!closed, "closed before the close_notify had its chance")
        #expect(!stalled.held.isEmpty, "the close_notify write is the one held")
        loop.advanceTime(by: .seconds(4))
        #expect(!closed)
        loop.advanceTime(by: .seconds(2))
        #expect(closed)
        for promise in stalled.held { promise.fail(ChannelError.ioOnClosedChannel) }
    }
}
