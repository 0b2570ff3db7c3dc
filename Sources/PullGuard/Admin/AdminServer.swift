import NIOCore
import NIOHTTP1
import NIOPosix
import PullGuardCore

/// The plain-HTTP admin listener (`admin.listen`): one request per connection, answered
/// by `AdminRouter`, then closed.
///
/// Kept small on purpose, since it is unauthenticated: requests are answered from their
/// head alone (a body is never read), every response closes the connection, NIO's decoder
/// bounds the head, and a connection whose head is not complete within
/// `AdminServer.idleTimeout` of accepting it is closed (a fixed deadline, not an idle timer
/// that each trickled byte would renew). It shares the proxy's event loops: a scrape is a
/// few microseconds of summing and formatting.
public final class AdminServer: Sendable {
    /// How long an admin connection may take, from accept, to send a complete request head.
    public static let idleTimeout: TimeAmount = .seconds(5)

    private let channel: Channel
    /// The address actually bound (port 0 replaced by the kernel's choice).
    public let boundAddress: ListenAddress

    private init(channel: Channel, boundAddress: ListenAddress) {
        self.channel = channel
        self.boundAddress = boundAddress
    }

    public static func start(listen: ListenAddress, router: AdminRouter, group: EventLoopGroup) async throws -> AdminServer {
        do {
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try configure(channel.pipeline.syncOperations, router: router)
                    }
                }
                .bind(host: listen.host, port: listen.port)
                .get()
            return AdminServer(channel: channel,
                               boundAddress: ListenAddress(host: listen.host, port: channel.localAddress?.port ?? listen.port))
        } catch {
            throw ListenError(address: listen, underlying: error)
        }
    }

    /// One admin connection's pipeline: idle close, NIO's HTTP/1 codec, the answer.
    static func configure(_ pipeline: ChannelPipeline.SynchronousOperations, router: AdminRouter) throws {
        try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: true)
        try pipeline.addHandler(AdminConnectionHandler(router: router))
    }

    public func close() async {
        try? await channel.close()
    }
}

/// Answers the first request head and closes; closes a connection that sends no head in time.
final class AdminConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let router: AdminRouter
    private var answered = false
    private var deadline: Scheduled<Void>?

    init(router: AdminRouter) {
        self.router = router
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let target = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: AdminServer.idleTimeout) { target.value.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data), !answered else { return }
        answered = true
        deadline?.cancel()
        let response = router.respond(method: head.method, uri: head.uri)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: "\(response.body.count)")
        headers.add(name: "Connection", value: "close")
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers))),
                      promise: nil)
        if head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

}
