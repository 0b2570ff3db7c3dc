import Logging
import NIOCore
import NIOEmbedded
import PullGuardCore
import PullGuardObservability
import PullGuardOpenSSL
import PullGuardTLS

/// Runs a real OpenSSL client against `TLSServerHandler` inside an `EmbeddedChannel`:
/// every byte moves in memory, so a whole mTLS handshake is tested without sockets.
public final class InMemoryHandshake {
    /// Captures what the TLS handler passes up the pipeline.
    public final class Recorder: ChannelInboundHandler {
        public typealias InboundIn = ByteBuffer
        public var established: TLSConnectionEstablished?
        public var received: [UInt8] = []

        public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let event = event as? TLSConnectionEstablished { established = event }
            context.fireUserInboundEventTriggered(event)
        }

        public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            received += buffer.readBytes(length: buffer.readableBytes) ?? []
        }
    }

    public struct Result {
        public var established: TLSConnectionEstablished?
        /// Plaintext the server side delivered upward.
        public var serverReceived: [UInt8]
        /// The alert the client received, if the server refused it.
        public var clientAlert: String?
        public var clientCompleted: Bool
        public var channelOpen: Bool
        public var metrics: [PullGuardMetrics.Counter: Int]
        /// The session the client may resume with next time.
        public var session: OpenSSLClientSession?
    }

    public static func run(contexts: ServerContextSet, client settings: TLSClientSettings, serverName: String? = "localhost",
                    send request: String = "GET / HTTP/1.1\r\n\r\n") throws -> Result {
        try run(contexts: contexts, clientContext: OpenSSLClientContext(settings: settings), serverName: serverName, send: request)
    }

    public static func run(contexts: ServerContextSet, clientContext: OpenSSLClientContext, serverName: String? = "localhost",
                    session: OpenSSLClientSession? = nil, send request: String = "GET / HTTP/1.1\r\n\r\n") throws -> Result {
        let recorder = Recorder()
        let metrics = PullGuardMetrics(eventLoops: 1)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(TLSServerHandler(contexts: contexts, logger: logger, metrics: metrics, loop: 0))
        try channel.pipeline.syncOperations.addHandler(recorder)
        channel.pipeline.fireChannelActive()

        let client = try OpenSSLClientConnection(context: clientContext, serverName: serverName, session: session)
        var alert: String?
        var completed = false
        var sentRequest = false
        for _ in 0..<20 {
            if !completed {
                switch client.handshake() {
                case .complete: completed = true
                case .needsMoreData: break
                case .failed(_, let received): alert = received?.name
                }
            }
            if completed && !sentRequest {
                _ = client.write(plaintext: Array(request.utf8))
                sentRequest = true
            }
            if let out = client.takeCiphertext() { try channel.writeInbound(out) }
            var progressed = false
            while let back = try channel.readOutbound(as: ByteBuffer.self) {
                client.receive(ciphertext: back)
                progressed = true
            }
            if completed, case .failed(_, let received) = client.read() { alert = received?.name }
            if alert != nil || (sentRequest && !progressed) { break }
        }
        // The application answers, as the proxy always does: in TLS 1.3 the session
        // ticket leaves with this first response (TLSServerStateMachine.handshakeStepped).
        if recorder.established != nil, sentRequest {
            try channel.writeOutbound(ByteBuffer(string: "HTTP/1.1 204 No Content\r\n\r\n"))
            while let back = try channel.readOutbound(as: ByteBuffer.self) { client.receive(ciphertext: back) }
            _ = client.read()
        }
        let open = channel.isActive
        _ = try? channel.finish()
        return Result(established: recorder.established, serverReceived: recorder.received, clientAlert: alert,
                      clientCompleted: completed, channelOpen: open, metrics: metrics.snapshot(),
                      session: client.session())
    }
}
