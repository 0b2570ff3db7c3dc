import Logging
import NIOCore
import NIOEmbedded
import Testing
import PullGuardTestSupport
@testable import PullGuardCore
@testable import PullGuardOpenSSL
@testable import PullGuardObservability
@testable import PullGuardTLS

/// A client that starts a handshake and stalls is disconnected after `timeouts.handshake`.
@Suite struct TLSHandshakeTimeoutTests {
    @Test(arguments: [TimeAmount.seconds(10), .milliseconds(1500)])
    func stalledHandshakeIsClosed(timeout: TimeAmount) throws {
        let pki = try TestPKI()
        let site = Site.tlsOnly(name: "a", serverNames: ["localhost"], TLSSiteSettings(
            identities: [ServerIdentitySource(pki.server, label: "server")],
            trustSources: [TrustSource(name: "ca", bundle: PEMSource(label: "ca", text: pki.root.certificatePEM))]))
        let contexts = try ServerContextSet(sites: SiteTable([site]), settings: TLSListenerSettings(handshakeTimeout: timeout))
        let metrics = PullGuardMetrics(eventLoops: 1)
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        try channel.pipeline.syncOperations.addHandler(TLSServerHandler(contexts: contexts, logger: Logger(label: "test"), metrics: metrics, loop: 0))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        loop.advanceTime(by: timeout - .milliseconds(100))
        #expect(channel.isActive)
        loop.advanceTime(by: .milliseconds(200))
        #expect(!channel.isActive)
        #expect(metrics.snapshot()[.handshakeTimedOut] == 1)
    }
}
