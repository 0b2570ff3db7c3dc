import NIOCore
import NIOHTTP1
import NIOPosix
import PullGuardCore

/// The plain-HTTP admin listener (`admin.listen`): one request per connection, answered
/// by `AdminRouter`, then closed.
///
/// Kept small on purpose, since it is unauthenticated: requests are answered from their
/// head alone (a body is never read), every response closes the connection, NIO's decoder
/// bounds the head, and a connection that sends no complete head within
/// `AdminServer.idleTimeout` is closed. It shares the proxy's event loops: a scrape is a
/// few microseconds of summing and formatting.
public final class AdminServer: Sendable {
    /// How long an admin connection may stay open without sending a complete request head.
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
                        let pipeline = channel.pipeline.syncOperations
                        try pipeline.addHandler(IdleStateHandler(readTimeout: idleTimeout))
                        try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: true)
                        try pipeline.addHandler(AdminConnectionHandler(router: router))
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

    public func close() async {
        try? await channel.close()
    }
}

/// Answers the first request head and closes; closes an idle connection.
final class AdminConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let router: AdminRouter
    private var answered = false

    init(router: AdminRouter) {
        self.router = router
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data), !answered else { return }
        answered = true
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

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
