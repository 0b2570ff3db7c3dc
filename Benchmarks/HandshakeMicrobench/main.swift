import Foundation
import Logging
import NIOCore
import NIOEmbedded
import PullGuardOpenSSL
import PullGuardCore
import PullGuardObservability
import PullGuardTLS

// In-memory handshake microbenchmark: a real OpenSSL client against `TLSServerHandler`
// in an `EmbeddedChannel`, timing only the server side with the thread CPU clock.
// No sockets, so the figures isolate TLS + verification cost from the kernel and the
// proxy. Usage: pullguard-handshake-microbench [full|resume] [count] [1.2|1.3] [rsa]
//        pullguard-handshake-microbench records [count] [size]
// `records` sends `count` application-data records of `size` bytes on one connection
// and compares the server's CPU per record with one plain copy of `size` bytes: the
// copy a memory BIO adds per record in each direction.

func threadCPUNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// Stands in for the HTTP layer: answers the first request with a minimal response.
/// Answering matters: a TLS 1.3 session ticket waits for the first response when the
/// request came right behind the client's Finished, so without one nothing resumes.
final class Sink: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    var established = false
    var answered = false
    static let response = Array("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n".utf8)
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is TLSConnectionEstablished { established = true }
    }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        answered = true
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: Self.response)), promise: nil)
    }
}

let arguments = CommandLine.arguments.dropFirst()
let mode = arguments.first ?? "full"
let count = arguments.dropFirst().first.flatMap { Int($0) } ?? 2000
let version: TLSClientSettings.Version = arguments.contains("1.2") ? .tls12 : .tls13

let root = try CertificateIssuer.issue(CertificateProfile(commonName: "Bench Root", isCA: true), signedBy: nil)
let server = try CertificateIssuer.issue(CertificateProfile(commonName: "localhost", extendedKeyUsage: [.serverAuth], dnsNames: ["localhost"]), signedBy: root)
// `rsa` anywhere in the arguments: an RSA-2048 client leaf (under an RSA-4096 root,
// as Cloudflare's origin-pull CA is) instead of the all-ECDSA set-up.
let rsaClient = arguments.contains("rsa")
let clientRoot = rsaClient
    ? try CertificateIssuer.issue(CertificateProfile(commonName: "Bench RSA Root", isCA: true, key: .rsa(bits: 4096)), signedBy: nil)
    : root
let client = try CertificateIssuer.issue(
    CertificateProfile(commonName: "bench-client", extendedKeyUsage: [.clientAuth], key: rsaClient ? .rsa(bits: 2048) : .ecdsaP256),
    signedBy: clientRoot)
func pem(_ label: String, _ text: String) -> PEMSource { PEMSource(origin: label, pem: Array(text.utf8)) }
let site = Site(
    name: "bench", serverNames: ["localhost"],
    tls: TLSSiteSettings(
        identities: [ServerIdentitySource(certificateChain: pem("server.pem", server.certificatePEM), privateKey: pem("server.key", server.privateKeyPEM))],
        trustSources: [TrustSource(name: "root.pem", bundle: pem("root.pem", clientRoot.certificatePEM))]),
    // The TLS layer alone: nothing is forwarded.
    proxy: ProxySiteSettings(upstream: UpstreamAddress(host: "127.0.0.1", port: 80)))
let contexts = try ServerContextSet(sites: SiteTable([site]))
let clientContext = try OpenSSLClientContext(settings: TLSClientSettings(
    identity: ServerIdentitySource(certificateChain: pem("client.pem", client.certificatePEM), privateKey: pem("client.key", client.privateKeyPEM)),
    verifyServer: false, version: version))
var logger = Logger(label: "bench")
logger.logLevel = .critical
let metrics = PullGuardMetrics(eventLoops: 1)

if mode == "records" {
    let size = arguments.dropFirst(2).first.flatMap { Int($0) } ?? 16_384
    let channel = EmbeddedChannel()
    let sink = Sink()
    try channel.pipeline.syncOperations.addHandler(TLSServerHandler(contexts: contexts, logger: logger, metrics: metrics, loop: 0))
    try channel.pipeline.syncOperations.addHandler(sink)
    channel.pipeline.fireChannelActive()
    let connection = try OpenSSLClientConnection(context: clientContext, serverName: "localhost")
    for _ in 0..<10 {
        _ = connection.handshake()
        if let out = connection.takeCiphertext() { try channel.writeInbound(out) }
        while let back = try channel.readOutbound(as: ByteBuffer.self) { connection.receive(ciphertext: back) }
        _ = connection.read()
    }
    let payload = [UInt8](repeating: 0x61, count: size)
    var recordNanoseconds: UInt64 = 0
    for _ in 0..<count {
        _ = connection.write(plaintext: payload)
        guard let out = connection.takeCiphertext() else { fatalError("no record") }
        let before = threadCPUNanoseconds()
        try channel.writeInbound(out)
        recordNanoseconds += threadCPUNanoseconds() - before
    }
    var source = [UInt8](repeating: 0x62, count: size)
    var target = [UInt8](repeating: 0, count: size)
    let copyStart = threadCPUNanoseconds()
    for index in 0..<count {
        source[index % size] = UInt8(truncatingIfNeeded: index)
        target.withUnsafeMutableBytes { dst in source.withUnsafeBytes { src in dst.copyMemory(from: src) } }
    }
    let copyNanoseconds = threadCPUNanoseconds() - copyStart
    print(String(format: "mode=records size=%d records=%d server_cpu_us_per_record=%.2f copy_us_per_record=%.3f check=%d",
                 size, count, Double(recordNanoseconds) / Double(count) / 1000, Double(copyNanoseconds) / Double(count) / 1000, Int(target[0])))
    exit(0)
}

var serverNanoseconds: UInt64 = 0
var resumedCount = 0
var session: OpenSSLClientSession?
let request = Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)

for index in 0..<(count + 50) {
    let measuring = index >= 50  // warm-up
    let channel = EmbeddedChannel()
    let sink = Sink()
    try channel.pipeline.syncOperations.addHandler(TLSServerHandler(contexts: contexts, logger: logger, metrics: metrics, loop: 0))
    try channel.pipeline.syncOperations.addHandler(sink)
    let start = threadCPUNanoseconds()
    channel.pipeline.fireChannelActive()
    var spent = threadCPUNanoseconds() - start
    let connection = try OpenSSLClientConnection(context: clientContext, serverName: "localhost", session: mode == "resume" ? session : nil)
    var done = false
    for _ in 0..<10 where !done {
        if case .complete = connection.handshake(), !done {
            _ = connection.write(plaintext: request)
            done = true
        }
        if let out = connection.takeCiphertext() {
            let before = threadCPUNanoseconds()
            try channel.writeInbound(out)
            spent += threadCPUNanoseconds() - before
        }
        while let back = try channel.readOutbound(as: ByteBuffer.self) { connection.receive(ciphertext: back) }
        _ = connection.read()
    }
    guard sink.established else { fatalError("handshake \(index) did not complete") }
    if connection.resumed { resumedCount += measuring ? 1 : 0 }
    session = connection.session() ?? session
    let before = threadCPUNanoseconds()
    _ = try channel.finish()
    spent += threadCPUNanoseconds() - before
    if measuring { serverNanoseconds += spent }
}
if mode == "resume" && resumedCount < count * 9 / 10 {
    // A resume figure without resumptions would be a full-handshake figure under the wrong name.
    fatalError("only \(resumedCount) of \(count) handshakes resumed")
}
let perHandshake = Double(serverNanoseconds) / Double(count) / 1000
print(String(format: "mode=%@ tls=%@ keys=%@ handshakes=%d resumed=%d server_cpu_us_per_handshake=%.1f", mode, version.rawValue, BuiltInKeyEngine.isRegistered ? "engine" : "provider", count, resumedCount, perHandshake))
