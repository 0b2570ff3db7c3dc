import Logging
import NIOCore
import NIOEmbedded
import Testing
@testable import PullGuard
import PullGuardTestSupport

/// TLS 1.3: when the client's request arrives right behind its Finished, the session
/// ticket is not written on its own but leaves with the response, in one write.
@Suite struct TLSSessionTicketTests {
    static let pki: TestPKI = try! TestPKI()

    @Test func ticketLeavesWithTheFirstResponse() throws {
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
                trustRoots: PEMSource(label: "root", text: pki.root.certificatePEM), version: .tls13)),
            serverName: "localhost")

        // ClientHello → the server's first flight.
        _ = client.handshake()
        try channel.writeInbound(try #require(client.takeCiphertext()))
        while let back = try channel.readOutbound(as: ByteBuffer.self) { client.receive(ciphertext: back) }
        guard case .complete = client.handshake() else { Issue.record("client handshake incomplete"); return }
        // Finished and the request in one read.
        _ = client.write(plaintext: Array("GET / HTTP/1.1\r\n\r\n".utf8))
        try channel.writeInbound(try #require(client.takeCiphertext()))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "no write of its own for the ticket")
        #expect(client.session() == nil)

        try channel.writeOutbound(ByteBuffer(string: "HTTP/1.1 204 No Content\r\n\r\n"))
        var writes = 0
        while let back = try channel.readOutbound(as: ByteBuffer.self) {
            writes += 1
            client.receive(ciphertext: back)
        }
        #expect(writes == 1)
        guard case .data(let bytes) = client.read() else { Issue.record("no response"); return }
        #expect(String(decoding: bytes, as: UTF8.self) == "HTTP/1.1 204 No Content\r\n\r\n")
        #expect(client.session() != nil, "the ticket arrived with the response")
        _ = try? channel.finish()
    }
}
