import Foundation
import NIOCore
import NIOPosix
import PullGuardTestSupport

/// A plain-HTTP upstream that parses what it receives with `StrictHTTPRequestParser`
/// and logs every request byte-exactly: the tests' view of "what a strict upstream
/// actually parsed". Each complete request gets `200` with a 3-byte body (or the bytes
/// `answer` returns for it: a misbehaving upstream); anything ambiguous is logged as an
/// error, answered with 400 and the connection closed.
final class StrictRecordingUpstream: Sendable {
    private let channel: Channel
    private let log: Log

    /// Requests and parse errors from every connection, in arrival order.
    final class Log: @unchecked Sendable {
        // `@unchecked Sendable`: every access goes through `lock`.
        private let lock = NSLock()
        private var requests: [StrictHTTPRequestParser.Request] = []
        private var errors: [String] = []

        func append(_ request: StrictHTTPRequestParser.Request) { lock.withLock { requests.append(request) } }
        func append(error: String) { lock.withLock { errors.append(error) } }
        var allRequests: [StrictHTTPRequestParser.Request] { lock.withLock { requests } }
        var allErrors: [String] { lock.withLock { errors } }
    }

    private init(channel: Channel, log: Log) {
        self.channel = channel
        self.log = log
    }

    typealias Answer = @Sendable (StrictHTTPRequestParser.Request) -> String
    static let okAnswer: Answer = { _ in "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n" }

    static func start(answer: @escaping Answer = okAnswer) async throws -> StrictRecordingUpstream {
        let log = Log()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(log: log, answer: answer))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return StrictRecordingUpstream(channel: channel, log: log)
    }

    var port: Int { channel.localAddress?.port ?? 0 }
    var requests: [StrictHTTPRequestParser.Request] { log.allRequests }
    var errors: [String] { log.allErrors }

    func shutdown() async throws {
        try await channel.close()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let log: Log
        let answer: Answer
        var pending: [UInt8] = []

        init(log: Log, answer: @escaping Answer) {
            self.log = log
            self.answer = answer
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            pending += unwrapInboundIn(data).readableBytesView
            do {
                let (requests, consumed) = try StrictHTTPRequestParser.parse(pending)
                pending.removeFirst(consumed)
                for request in requests {
                    log.append(request)
                    let response = answer(request)
                    context.write(wrapOutboundOut(context.channel.allocator.buffer(string: response)), promise: nil)
                }
                context.flush()
            } catch {
                log.append(error: "\(error)")
                let response = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: response)))
                    .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            }
        }
    }
}

/// The real binary in front of a `StrictRecordingUpstream`, from a YAML config
/// (`{UPSTREAM}` and `{PKI}` replaced as in `ProxyScenario`).
struct StrictUpstreamScenario {
    let upstream: StrictRecordingUpstream
    let proxy: PullGuardProcess

    static func withConfig(_ yaml: String, answer: @escaping StrictRecordingUpstream.Answer = StrictRecordingUpstream.okAnswer,
                           _ body: (StrictUpstreamScenario) async throws -> Void) async throws {
        let upstream = try await StrictRecordingUpstream.start(answer: answer)
        do {
            let text = yaml.replacingOccurrences(of: "{UPSTREAM}", with: "http://127.0.0.1:\(upstream.port)")
                .replacingOccurrences(of: "{PKI}", with: ProxyScenario.pkiDirectory.path)
            let file = ProxyScenario.pkiDirectory.appendingPathComponent("config-\(UUID().uuidString).yaml")
            try Data(text.utf8).write(to: file)
            let proxy = try PullGuardProcess.start(["run", "--config", file.path])
            defer { proxy.stop() }
            try await body(StrictUpstreamScenario(upstream: upstream, proxy: proxy))
        } catch {
            try? await upstream.shutdown()
            throw error
        }
        try await upstream.shutdown()
    }

    /// Sends `bytes` over TLS from Python's `ssl` with a client certificate and the
    /// given SNI (the server certificate is not checked: the SNI may name any site),
    /// and returns what came back until the proxy closed or went quiet for a second.
    func rawTLS(_ bytes: String, sni: String, client: String = "client") throws -> CommandResult {
        let script = """
        import socket, ssl, sys
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.load_cert_chain(sys.argv[3], sys.argv[4])
        raw = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
        s = context.wrap_socket(raw, server_hostname=sys.argv[2])
        s.sendall(sys.stdin.buffer.read())
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (socket.timeout, ssl.SSLError, ConnectionError):
                break
            if not chunk:
                break
            data += chunk
            s.settimeout(1.0)
        sys.stdout.write(data.decode("latin-1"))
        """
        return try CommandRunner.run("python3", [
            "-c", script, "\(proxy.port)", sni,
            ProxyScenario.file("\(client).pem"), ProxyScenario.file("\(client).key"),
        ], stdin: bytes, timeout: 20)
    }
}
