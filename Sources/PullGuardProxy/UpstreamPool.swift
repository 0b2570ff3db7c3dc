import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import PullGuardCore
import PullGuardObservability

/// One event loop's keep-alive connections to the upstreams; performs what
/// `UpstreamPoolStateMachine` decides.
///
/// Every method runs on ``eventLoop``, and connections are opened on that same
/// loop, so a downstream channel and its upstream channel never need a hop.
///
/// Stale connections: a parked connection the upstream closed is dropped as soon
/// as its close is seen (a read stays outstanding while parked) and is checked
/// again at lease time. A request that still races an upstream close gets a 502;
/// PullGuard does not retry on a fresh connection, because it cannot know
/// whether the upstream acted on the request, and replaying is only safe for
/// some methods — the simpler rule is easier to reason about.
package final class UpstreamPool {
    let eventLoop: EventLoop
    private var machine: UpstreamPoolStateMachine
    /// Parked and leased connections by `ConnectionID.slot`, as the state machine counts them.
    private var connections: [UpstreamConnection?] = []
    private let connectTimeout: TimeAmount
    private let connector: Connector?
    private var purgeTask: RepeatedTask?
    /// `upstream_connections_opened_total` and `…_purged_total`: how often the pool had
    /// to connect, against the requests it served, shows how well it reuses.
    private let counters: LoopCounters?

    /// How often parked connections the last interval did not need are closed
    /// (``UpstreamPoolStateMachine/purge()``); the default of HAProxy's `pool-purge-delay`.
    static let purgeInterval = TimeAmount.seconds(5)

    /// Opens a channel to an upstream and runs `initialize` on it (which adds the
    /// `UpstreamConnection`). nil: a `ClientBootstrap` on
    /// `eventLoop`. Tests pass in-memory channels, so what the proxy writes upstream
    /// can be read byte by byte without sockets.
    package typealias Connector = (_ upstream: UpstreamAddress,
                                   _ initialize: @escaping @Sendable (Channel) -> EventLoopFuture<Void>) -> EventLoopFuture<Channel>

    init(eventLoop: EventLoop, maxIdlePerUpstream: Int, connectTimeout: TimeAmount, counters: LoopCounters? = nil,
         connector: Connector? = nil) {
        self.eventLoop = eventLoop
        self.counters = counters
        self.machine = UpstreamPoolStateMachine(maxIdlePerUpstream: maxIdlePerUpstream)
        self.connectTimeout = connectTimeout
        self.connector = connector
        let target = NIOLoopBound(self, eventLoop: eventLoop)
        purgeTask = eventLoop.scheduleRepeatedTask(initialDelay: Self.purgeInterval, delay: Self.purgeInterval) { _ in
            target.value.purge()
        }
    }

    /// Calls `completion` on the event loop with a connection owned by the caller,
    /// which must later ``release(_:reusable:)`` it.
    func lease(_ upstream: UpstreamAddress,
               completion: @escaping (Result<UpstreamConnection, ProxyFailure>) -> Void) {
        eventLoop.assertInEventLoop()
        while true {
            switch machine.lease(upstream) {
            case .fail:
                completion(.failure(.connectFailed("proxy is shutting down")))
                return
            case .useIdle(let id):
                guard let connection = connection(id), connection.isActive else {
                    machine.closed(id)
                    remove(id)
                    continue
                }
                completion(.success(connection))
                return
            case .connect(let id):
                connect(id, upstream, completion: completion)
                return
            }
        }
    }

    /// The owner is done. `reusable`: a complete HTTP/1.1 keep-alive exchange.
    func release(_ connection: UpstreamConnection, reusable: Bool) {
        eventLoop.assertInEventLoop()
        connection.delegate = nil
        switch machine.release(connection.id, reusable: reusable && connection.isReusable) {
        case .park:
            connection.read()
        case .close:
            remove(connection.id)
            connection.close()
        }
    }

    /// The connection leaves the pool for good, still open (it became a tunnel): its
    /// close must not be reported here, and it is never parked.
    func detach(_ connection: UpstreamConnection) {
        eventLoop.assertInEventLoop()
        connection.delegate = nil
        connection.pool = nil
        connection.detached = true
        machine.closed(connection.id)
        remove(connection.id)
    }

    /// Called by the connection when its channel closed.
    func connectionClosed(_ connection: UpstreamConnection) {
        eventLoop.assertInEventLoop()
        machine.closed(connection.id)
        remove(connection.id)
    }

    /// Closes the parked connections the last interval did not need.
    func purge() {
        eventLoop.assertInEventLoop()
        let closing = machine.purge()
        for id in closing {
            remove(id)?.close()
        }
        if !closing.isEmpty { counters?.increment(.upstreamConnectionsPurged, by: closing.count) }
    }

    /// Closes the parked connections and refuses further leases.
    func shutdown() {
        eventLoop.assertInEventLoop()
        purgeTask?.cancel()
        purgeTask = nil
        for id in machine.shutdown() {
            remove(id)?.close()
        }
    }

    /// The connection `id` names; nil once it left the pool (its slot empty or held by a later one).
    private func connection(_ id: UpstreamPoolStateMachine.ConnectionID) -> UpstreamConnection? {
        guard id.slot < connections.count, let connection = connections[id.slot], connection.id == id else { return nil }
        return connection
    }

    private func store(_ connection: UpstreamConnection) {
        while connections.count <= connection.id.slot { connections.append(nil) }
        connections[connection.id.slot] = connection
    }

    @discardableResult
    private func remove(_ id: UpstreamPoolStateMachine.ConnectionID) -> UpstreamConnection? {
        guard let connection = connection(id) else { return nil }
        connections[id.slot] = nil
        return connection
    }

    /// An upstream named by an IP address is connected to directly. `connect(host:port:)`
    /// would pass even a literal through NIO's resolver, which runs `getaddrinfo` on a
    /// Dispatch thread and races address families: a futex wake-up and two context
    /// switches per new connection, for an answer known in advance. Names still go
    /// through the resolver on every connect, so a changed DNS record is followed.
    private static func connect(to upstream: UpstreamAddress, on eventLoop: EventLoop, timeout: TimeAmount,
                                initialize: @escaping @Sendable (Channel) -> EventLoopFuture<Void>)
        -> EventLoopFuture<Channel> {
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(ChannelOptions.autoRead, value: false)
            .channelInitializer(initialize)
        if let address = try? SocketAddress(ipAddress: upstream.host, port: upstream.port) {
            return bootstrap.connect(to: address)
        }
        return bootstrap.connect(host: upstream.host, port: upstream.port)
    }

    private func connect(_ id: UpstreamPoolStateMachine.ConnectionID, _ upstream: UpstreamAddress,
                         completion: @escaping (Result<UpstreamConnection, ProxyFailure>) -> Void) {
        let timeout = connectTimeout
        let initialize: @Sendable (Channel) -> EventLoopFuture<Void> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(UpstreamConnection(id: id, upstream: upstream))
            }
        }
        let future = connector?(upstream, initialize) ?? Self.connect(to: upstream, on: eventLoop, timeout: timeout,
                                                                      initialize: initialize)
        future.hop(to: eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .failure(let error):
                self.machine.connectFailed(id)
                completion(.failure(ProxyFailure(connectError: error, connectTimeout: timeout)))
            case .success(let channel):
                guard let connection = try? channel.pipeline.syncOperations.handler(type: UpstreamConnection.self),
                      self.machine.connected(id) else {
                    self.machine.connectFailed(id)
                    channel.close(promise: nil)
                    completion(.failure(.connectFailed("proxy is shutting down")))
                    return
                }
                connection.pool = self
                self.store(connection)
                self.counters?.increment(.upstreamConnectionsOpened)
                completion(.success(connection))
            }
        }
    }
}
