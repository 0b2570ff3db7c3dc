import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A tiny plain-HTTP/1.1 upstream for `pullguard demo` and for tests.
///
/// Every request gets `200 text/plain`: a greeting, the `X-Client-*` identity
/// header lines it received, and the request line, so a person can see what the
/// proxy vouched for. `/echo` streams the request body back as it arrives;
/// `/slow?ms=N` answers after N milliseconds. Every request head is recorded so
/// tests can assert that refused requests never got here.
public final class BuiltInUpstream: Sendable {
    /// One request head as the upstream saw it.
    public struct RecordedRequest: Sendable {
        public var method: HTTPMethod
        public var uri: String
        public var headers: HTTPHeaders
        /// Which accepted connection it came on (1, 2, …), to observe keep-alive reuse.
        public var connectionNumber: Int
    }

    private let channel: Channel
    private let log: RequestLog

    private init(channel: Channel, log: RequestLog) {
        self.channel = channel
        self.log = log
    }

    /// Binds `host:port` (0 for a free port) and starts answering.
    public static func start(host: String, port: Int, group: EventLoopGroup) async throws -> BuiltInUpstream {
        let log = RequestLog()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let number = log.nextConnectionNumber()
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(
                        BuiltInUpstreamHandler(log: log, connectionNumber: number))
                }
            }
            .bind(host: host, port: port)
            .get()
        return BuiltInUpstream(channel: channel, log: log)
    }

    /// The bound port (useful with port 0).
    public var port: Int { channel.localAddress?.port ?? 0 }

    /// Every request head seen so far, in arrival order.
    public var requests: [RecordedRequest] { log.all }

    /// Stops listening. Open connections end with their event loop group.
    public func shutdown() async throws {
        try await channel.close()
    }
}

/// The request record shared by all of an upstream's connections (any loop).
final class RequestLog: @unchecked Sendable {
    private let lock = NSLock()
    private var requests: [BuiltInUpstream.RecordedRequest] = []
    private var connections = 0

    func append(_ request: BuiltInUpstream.RecordedRequest) {
        lock.lock()
        defer { lock.unlock() }
        requests.append(request)
    }

    func nextConnectionNumber() -> Int {
        lock.lock()
        defer { lock.unlock() }
        connections += 1
        return connections
    }

    var all: [BuiltInUpstream.RecordedRequest] {
        lock.lock()
        defer { lock.unlock() }
        return requests
    }
}
