import Logging
import NIOCore
import NIOEmbedded
import Testing
@testable import PullGuard
import PullGuardTestSupport

/// `TLSServerHandler.close` sends what the application wrote but did not flush, then
/// close_notify, in one write: `HTTPProxyHandler` relies on it to close after a
/// response without flushing the response on its own first.
@Suite struct TLSCloseTests {
    static let pki: TestPKI = try! TestPKI()

    @Test func closeSendsUnflushedWritesThenCloseNotifyInOneWrite() throws {
        let pki = Self.pki
        let site = TLSSiteSettings(
            name: "a", serverNames: ["localhost"], identities: [ServerIdentitySource(pki.server, label: "server")],
            trustSources: [TrustSource(name: "ca.pem", bundle: PEMSource(label: "ca.pem", text: pki.root.certificatePEM))])
        let contexts = try ServerContextSet(settings: TLSListenerSettings(sites: [site], defaultSiteName: "a"))
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(TLSServerHandler(contexts: contexts, logger: logger, metrics: PullGuardMetrics()))
        channel.pipeline.fireChannelActive()
        let client = try OpenSSLClientConnection(
            context: OpenSSLClientContext(settings: TLSClientSettings(
                identity: ServerIdentitySource(pki.client, label: "client"),
                trustRoots: PEMSource(label: "root", text: pki.root.certificatePEM))),
            serverName: "localhost")
        var completed = false
        for _ in 0..<10 where !completed {
            if case .complete = client.handshake() { completed = true }
            if let out = client.takeCiphertext() { try channel.writeInbound(out) }
            while let back = try channel.readOutbound(as: ByteBuffer.self) { client.receive(ciphertext: back) }
        }
        #expect(completed)
        _ = client.read()  // takes the session ticket

        channel.write(ByteBuffer(string: "last response bytes"), promise: nil)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "nothing leaves before the close")
        let closed = channel.close()
        var writes = 0
        while let records = try channel.readOutbound(as: ByteBuffer.self) {
            writes += 1
            client.receive(ciphertext: records)
        }
        #expect(writes == 1)
        guard case .data(let bytes) = client.read() else { Issue.record("no data before close_notify"); return }
        #expect(String(decoding: bytes, as: UTF8.self) == "last response bytes")
        guard case .closed = client.read() else { Issue.record("no close_notify after the data"); return }
        try closed.wait()
    }
}
