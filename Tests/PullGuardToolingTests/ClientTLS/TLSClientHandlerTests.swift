import Logging
import NIOCore
import NIOEmbedded
import Testing
import PullGuardTestSupport
@testable import PullGuardOpenSSL
@testable import PullGuardTooling
@testable import PullGuardCore
@testable import PullGuardTLS
@testable import PullGuardObservability

/// `TLSClientHandler` against `TLSServerHandler`, two `EmbeddedChannel`s back to
/// back: every byte moves in memory, one scenario per test.
@Suite struct TLSClientHandlerTests {
    static let pki: TestPKI = try! TestPKI()
    var pki: TestPKI { Self.pki }

    /// Records what the client handler passes up: the completion event, errors, plaintext.
    final class ClientRecorder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var completed: TLSClientHandshakeCompleted?
        var errors: [TLSClientError] = []
        var received = ""

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let event = event as? TLSClientHandshakeCompleted { completed = event }
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            if let error = error as? TLSClientError { errors.append(error) }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received += String(buffer: unwrapInboundIn(data))
        }
    }

    final class ServerRecorder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var received = ""

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received += String(buffer: unwrapInboundIn(data))
        }
    }

    struct Pair {
        var client: EmbeddedChannel
        var server: EmbeddedChannel
        var clientHandler: TLSClientHandler
        var clientRecorder: ClientRecorder
        var serverRecorder: ServerRecorder

        /// Moves bytes both ways until neither side has anything left to send.
        func pump() {
            for _ in 0..<50 {
                var moved = false
                while let bytes = try? client.readOutbound(as: ByteBuffer.self) {
                    moved = true
                    _ = try? server.writeInbound(bytes)
                }
                while let bytes = try? server.readOutbound(as: ByteBuffer.self) {
                    moved = true
                    _ = try? client.writeInbound(bytes)
                }
                if !moved { return }
            }
        }

        func finish() {
            _ = try? client.finish()
            _ = try? server.finish()
        }
    }

    func serverContexts() throws -> ServerContextSet {
        let site = Site.tlsOnly(name: "a", serverNames: ["localhost"], TLSSiteSettings(
            identities: [ServerIdentitySource(pki.server, label: "server")],
            trustSources: [TrustSource(name: "root.pem", bundle: PEMSource(label: "root.pem", text: pki.root.certificatePEM))],
            crls: [], clientAuth: ClientAuthPolicy()))
        return try ServerContextSet(sites: SiteTable([site]))
    }

    func settings(_ cert: IssuedCertificate?, version: TLSClientSettings.Version = .tls13,
                  trusting root: IssuedCertificate? = nil) -> TLSClientSettings {
        TLSClientSettings(identity: cert.map { ServerIdentitySource($0, label: "client") },
                          trustRoots: PEMSource(label: "root", text: (root ?? pki.root).certificatePEM), version: version)
    }

    func connect(_ context: OpenSSLClientContext, contexts: ServerContextSet,
                 session: OpenSSLClientSession? = nil) throws -> Pair {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let server = EmbeddedChannel()
        let serverRecorder = ServerRecorder()
        try server.pipeline.syncOperations.addHandler(TLSServerHandler(contexts: contexts, logger: logger, metrics: PullGuardMetrics(eventLoops: 1), loop: 0))
        try server.pipeline.syncOperations.addHandler(serverRecorder)
        server.pipeline.fireChannelActive()
        let client = EmbeddedChannel()
        let handler = try TLSClientHandler(context: context, serverName: "localhost", session: session)
        let recorder = ClientRecorder()
        try client.pipeline.syncOperations.addHandler(handler)
        try client.pipeline.syncOperations.addHandler(recorder)
        client.pipeline.fireChannelActive()
        return Pair(client: client, server: server, clientHandler: handler, clientRecorder: recorder, serverRecorder: serverRecorder)
    }

    @Test(arguments: [TLSClientSettings.Version.tls12, .tls13])
    func handshakeCompletesAndDataFlowsBothWays(version: TLSClientSettings.Version) throws {
        let pair = try connect(OpenSSLClientContext(settings: settings(pki.client, version: version)), contexts: serverContexts())
        defer { pair.finish() }
        // Written before the handshake finished: buffered, then sent in order.
        pair.client.writeAndFlush(ByteBuffer(string: "ping"), promise: nil)
        pair.pump()
        let completed = try #require(pair.clientRecorder.completed)
        #expect(completed.protocolVersion == (version == .tls13 ? "TLSv1.3" : "TLSv1.2"))
        #expect(!completed.resumed)
        #expect(pair.serverRecorder.received == "ping")
        pair.server.writeAndFlush(ByteBuffer(string: "pong"), promise: nil)
        pair.pump()
        #expect(pair.clientRecorder.received == "pong")
        #expect(pair.clientRecorder.errors.isEmpty)
    }

    /// TLS 1.3: the client's handshake completes, then the refusal arrives as an alert on read.
    @Test func missingCertificateSurfacesCertificateRequired() throws {
        let pair = try connect(OpenSSLClientContext(settings: settings(nil)), contexts: serverContexts())
        defer { pair.finish() }
        pair.client.writeAndFlush(ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n"), promise: nil)
        pair.pump()
        #expect(pair.clientRecorder.completed != nil)
        #expect(pair.clientRecorder.errors == [.alertReceived(.certificateRequired)])
        #expect(pair.serverRecorder.received.isEmpty)
        #expect(!pair.client.isActive)
    }

    /// TLS 1.2: the server's refusal is an alert during the handshake; no completion event.
    @Test func unknownCAFailsTheHandshakeWithItsAlert() throws {
        let pair = try connect(OpenSSLClientContext(settings: settings(pki.otherCAClient, version: .tls12)), contexts: serverContexts())
        defer { pair.finish() }
        pair.pump()
        #expect(pair.clientRecorder.completed == nil)
        #expect(pair.clientRecorder.errors == [.alertReceived(.unknownCA)])
    }

    @Test func untrustedServerFailsVerificationOnTheClient() throws {
        let context = try OpenSSLClientContext(settings: settings(pki.client, trusting: pki.otherCA))
        let pair = try connect(context, contexts: serverContexts())
        defer { pair.finish() }
        pair.pump()
        #expect(pair.clientRecorder.completed == nil)
        #expect(pair.clientRecorder.errors == [.failed(reason: "certificate_verify_failed")])
    }

    @Test func secondConnectionResumesTheFirstOnesSession() throws {
        let context = try OpenSSLClientContext(settings: settings(pki.client))
        let contexts = try serverContexts()
        let first = try connect(context, contexts: contexts)
        first.client.writeAndFlush(ByteBuffer(string: "one"), promise: nil)
        first.pump()
        first.server.writeAndFlush(ByteBuffer(string: "ok"), promise: nil)
        first.pump()
        let session = try #require(first.clientHandler.session())
        first.finish()
        let second = try connect(context, contexts: contexts, session: session)
        defer { second.finish() }
        second.pump()
        #expect(second.clientRecorder.completed?.resumed == true)
        #expect(second.clientHandler.resumed)
    }
}
