import Logging
import NIOCore
import NIOEmbedded
import Testing
@testable import PullGuard
import PullGuardTestSupport

/// A client that starts a handshake and stalls is disconnected after the handshake timeout.
@Suite struct TLSHandshakeTimeoutTests {
    @Test func stalledHandshakeIsClosed() throws {
        let pki = try TestPKI()
        let site = TLSSiteSettings(
            name: "a", serverNames: ["localhost"], identities: [ServerIdentitySource(pki.server, label: "server")],
            trustSources: [TrustSource(name: "ca", bundle: PEMSource(label: "ca", text: pki.root.certificatePEM))])
        let contexts = try ServerContextSet(settings: TLSListenerSettings(sites: [site], defaultSiteName: "a"))
        let metrics = PullGuardMetrics()
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        try channel.pipeline.syncOperations.addHandler(TLSServerHandler(contexts: contexts, logger: Logger(label: "test"), metrics: metrics))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        loop.advanceTime(by: .seconds(TLSProtocolPolicy.handshakeTimeoutSeconds - 1))
        #expect(channel.isActive)
        loop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
        #expect(metrics.snapshot()[.handshakeTimedOut] == 1)
    }
}
