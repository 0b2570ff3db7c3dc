import Foundation
import Logging
import NIOCore
import NIOEmbedded
import PullGuardCore
import PullGuardObservability
import PullGuardProxy
import PullGuardTestSupport

// In-memory proxy microbenchmark: requests through `HTTPProxy`'s real handlers in an
// `EmbeddedChannel` (after TLS: the bytes are plaintext), to upstream connections that are
// `EmbeddedChannel`s answering "200 ok". No sockets and no TLS, so the figures isolate the
// proxy's own per-request work (HTTP/2 session, header policy, pool, upstream codec) from
// the kernel and OpenSSL. Under `valgrind --tool=callgrind` the instruction counts repeat
// run to run; the difference between two counts divided by the difference in requests is
// the cost of one request (docs/benchmarking.md).
//
// Usage: pullguard-proxy-microbench h2|h1 [connections] [requests-per-connection]
//   h2: 10 concurrent streams per batch, as `scripts/bench-compare.sh`'s h2 scenario.

func threadCPUNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// The in-memory upstream: every connection the pools open, answered request by request.
final class Upstreams: @unchecked Sendable {
    // `@unchecked`: only touched on the embedded loop's thread (the only thread here).
    var channels: [EmbeddedChannel] = []
    static let response = ByteBuffer(string: "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nok\n")

    /// `PULLGUARD_MICROBENCH_SHOW=1`: the first request as the upstream received it, on stderr.
    var show = ProcessInfo.processInfo.environment["PULLGUARD_MICROBENCH_SHOW"] == "1"

    /// Answers each request waiting on any connection; returns how many it answered.
    func answerAll() throws -> Int {
        var answered = 0
        for channel in channels where channel.isActive {
            var sawRequest = false
            while let request = try channel.readOutbound(as: ByteBuffer.self) {
                sawRequest = true
                if show {
                    show = false
                    FileHandle.standardError.write(Data("\(request.readableBytes) bytes:\n\(String(buffer: request))".utf8))
                }
            }
            if sawRequest {
                try deliver(Self.response, to: channel)
                answered += 1
            }
        }
        return answered
    }
}

let arguments = CommandLine.arguments
let mode = arguments.count > 1 ? arguments[1] : "h2"
let connections = arguments.count > 2 ? Int(arguments[2])! : 20
let perConnection = arguments.count > 3 ? Int(arguments[3])! : 100
guard mode == "h2" || mode == "h1" else {
    FileHandle.standardError.write("usage: pullguard-proxy-microbench h2|h1 [connections] [requests-per-connection]\n".data(using: .utf8)!)
    exit(2)
}

let loop = EmbeddedEventLoop()
let upstreams = Upstreams()
let upstreamAddress = UpstreamAddress(host: "127.0.0.1", port: 8080)
let sites = SiteTable(testing: [Site.forwarding(name: "a", serverNames: ["a.example"], upstream: upstreamAddress)])
var logger = Logger(label: "pullguard.microbench")
logger.logLevel = .error
let proxy = HTTPProxy(settings: ProxySettings(), sites: sites, logger: logger, metrics: PullGuardMetrics(eventLoops: 1),
                      upstreamConnector: { upstream, initialize in
    let channel = EmbeddedChannel(loop: loop)
    upstreams.channels.append(channel)
    return initialize(channel).flatMap {
        channel.connect(to: try! SocketAddress(ipAddress: "127.0.0.1", port: upstream.port))
    }.map { channel }
})
let established = TLSConnectionEstablished(
    site: sites.id(named: "a"), siteName: "a", serverName: "a.example", alpn: mode == "h2" ? "h2" : "http/1.1",
    protocolVersion: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256", resumed: false, verification: TestCertificates.success())

/// What a client like curl sends: the same headers on every request.
let fields = [(":method", "GET"), (":scheme", "https"), (":authority", "a.example"), (":path", "/"),
              ("user-agent", "pullguard-bench"), ("accept", "*/*")]
/// One HEADERS frame of `fields`, made once: each stream's is this with its id written in.
/// Encoding the block per request (the test support's HPACK literals, array by array) was
/// ~10,500 instructions of the in-memory client's own, counted with every request.
let headersTemplate = HTTP2Frames.headers(stream: 1, fields)
func headersFrame(stream: Int32) -> [UInt8] {
    var frame = headersTemplate
    withUnsafeBytes(of: UInt32(bitPattern: stream).bigEndian) { frame.replaceSubrange(5..<9, with: $0) }
    return frame
}
let http1Request = ByteBuffer(string: "GET / HTTP/1.1\r\nHost: a.example\r\nUser-Agent: pullguard-bench\r\nAccept: */*\r\n\r\n")

func drainClient(_ client: EmbeddedChannel) throws {
    while try client.readOutbound(as: ByteBuffer.self) != nil {}
}

/// Bytes read from a socket, as NIO hands them on: a read, then the end of the read
/// batch, where the proxy flushes what the read caused.
func deliver(_ bytes: ByteBuffer, to channel: EmbeddedChannel) throws {
    try channel.writeInbound(bytes)
    channel.pipeline.fireChannelReadComplete()
}

func runConnection() throws -> Int {
    let client = EmbeddedChannel(loop: loop)
    try client.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 50_000)).wait()
    try proxy.configure(client.pipeline.syncOperations, channel: client, loop: 0)
    client.pipeline.fireUserInboundEventTriggered(established)
    var answered = 0
    if mode == "h2" {
        try deliver(ByteBuffer(bytes: HTTP2Frames.preface + HTTP2Frames.settings()), to: client)
        var stream: Int32 = 1
        for _ in 0..<(perConnection / 10) {
            var batch: [UInt8] = []
            for _ in 0..<10 {
                batch += headersFrame(stream: stream)
                stream += 2
            }
            try deliver(ByteBuffer(bytes: batch), to: client)
            loop.run()
            answered += try upstreams.answerAll()
            loop.run()
            try drainClient(client)
        }
    } else {
        for _ in 0..<perConnection {
            try deliver(http1Request, to: client)
            loop.run()
            answered += try upstreams.answerAll()
            loop.run()
            try drainClient(client)
        }
    }
    _ = try? client.finish()
    loop.run()
    return answered
}

// One connection first, outside the measurement: the pool's connections and the
// lazily built parts are in place before counting starts.
_ = try runConnection()
let started = threadCPUNanoseconds()
var total = 0
for _ in 0..<connections { total += try runConnection() }
let elapsed = threadCPUNanoseconds() - started
guard total == connections * perConnection else {
    FileHandle.standardError.write("only \(total) of \(connections * perConnection) requests were answered upstream\n".data(using: .utf8)!)
    exit(1)
}
print(String(format: "mode=%@ connections=%d requests=%d cpu_us_per_request=%.2f upstream_connections=%d",
             mode, connections, total, Double(elapsed) / 1000 / Double(total), upstreams.channels.count))
