import NIOCore
import Testing
import PullGuardTestSupport
@testable import PullGuardCore
@testable import PullGuardObservability
@testable import PullGuardOpenSSL
@testable import PullGuardTLS

/// Real handshakes between an OpenSSL client and `OpenSSLConnection`, in memory: the
/// failure reason the OpenSSL layer decides from libssl's reason codes, the alert the
/// client sees, and the counter and log line `HandshakeRefusalRecord` makes of it.
@Suite struct HandshakeFailureReasonTests {
    static let pki: TestPKI = try! TestPKI()
    var pki: TestPKI { Self.pki }

    func contexts(policy: ClientAuthPolicy = ClientAuthPolicy(),
                  unknownSNI: TLSListenerSettings.UnknownSNI = .defaultSite) throws -> ServerContextSet {
        let site = Site.tlsOnly(name: "a", serverNames: ["localhost"], TLSSiteSettings(
            identities: [ServerIdentitySource(pki.server, label: "a-server")],
            trustSources: [TrustSource(name: "test-ca.pem", bundle: PEMSource(label: "test-ca.pem", text: pki.root.certificatePEM))],
            crls: [], clientAuth: policy))
        return try ServerContextSet(sites: SiteTable([site]), settings: TLSListenerSettings(unknownSNI: unknownSNI))
    }

    func client(_ cert: IssuedCertificate?, version: TLSClientSettings.Version = .tls13,
                trusting root: IssuedCertificate? = nil) -> TLSClientSettings {
        TLSClientSettings(identity: cert.map { ServerIdentitySource($0, label: "client") },
                          trustRoots: PEMSource(label: "root", text: (root ?? pki.root).certificatePEM), version: version)
    }

    struct Outcome {
        /// How the server's handshake failed, nil if it did not.
        var failure: TLSHandshakeFailure?
        /// The alert the client received.
        var clientAlert: TLSAlert?
        var record: HandshakeRefusalRecord? { failure.map { HandshakeRefusalRecord($0, client: "192.0.2.1") } }
        var reason: TLSHandshakeFailure.Reason? { failure?.reason }
    }

    /// Moves bytes between the two until the server failed and the client has seen
    /// the outcome (its own failure, or the alert on its first read in TLS 1.3).
    func handshake(_ contexts: ServerContextSet, _ settings: TLSClientSettings,
                   serverName: String? = "localhost", prefix: [UInt8]? = nil) throws -> Outcome {
        let server = try OpenSSLConnection(contexts: contexts)
        let client = try OpenSSLClientConnection(context: OpenSSLClientContext(settings: settings), serverName: serverName)
        var outcome = Outcome()
        var clientFinished = false
        var clientFailed = false
        if let prefix { server.receive(ciphertext: ByteBuffer(bytes: prefix)) }
        for _ in 0..<20 {
            if prefix == nil {
                if !clientFinished {
                    switch client.handshake() {
                    case .complete: clientFinished = true
                    case .needsMoreData: break
                    case .failed(_, let alert):
                        clientFailed = true
                        clientFinished = true
                        outcome.clientAlert = alert
                    }
                } else if !clientFailed, case .failed(_, let alert) = client.read() {
                    clientFailed = true
                    outcome.clientAlert = alert
                }
                if let bytes = client.takeCiphertext() { server.receive(ciphertext: bytes) }
            }
            if outcome.failure == nil, case .failed(let failure) = server.handshake() { outcome.failure = failure }
            if let bytes = server.takeCiphertext(allocator: ByteBufferAllocator()) { client.receive(ciphertext: bytes) }
            if outcome.failure != nil && (clientFailed || prefix != nil) { break }
        }
        return outcome
    }

    @Test func noCertificateInTLS13() throws {
        let outcome = try handshake(contexts(), client(nil))
        #expect(outcome.reason == .noCertificate)
        #expect(outcome.clientAlert == .certificateRequired)
        #expect(outcome.record?.counter == .refusedNoCertificate)
        #expect(outcome.record?.message == "client certificate refused: none presented")
        #expect(outcome.record?.metadata["verify_error"] == "no_certificate")
    }

    @Test func noCertificateInTLS12() throws {
        let outcome = try handshake(contexts(), client(nil, version: .tls12))
        #expect(outcome.reason == .noCertificate)
        #expect(outcome.clientAlert == .handshakeFailure)
    }

    @Test func expiredCertificateIsAChainRefusal() throws {
        let outcome = try handshake(contexts(), client(pki.expiredClient))
        guard case .certificateRefused(let verification) = outcome.reason else {
            Issue.record("expected a certificate refusal, got \(String(describing: outcome.reason))")
            return
        }
        #expect(verification.errorName == "X509_V_ERR_CERT_HAS_EXPIRED")
        #expect(outcome.clientAlert == .certificateExpired)
        #expect(outcome.record?.counter == .refusedCertificate)
        #expect(outcome.record?.level == .warning)
        #expect(outcome.record?.metadata["verify_error"] == "X509_V_ERR_CERT_HAS_EXPIRED")
    }

    /// The policy's one mapping decides both what the client sees and what the log says.
    @Test func allowListMissSignalsAsItsMappingSays() throws {
        let outcome = try handshake(contexts(policy: ClientAuthPolicy(allowList: AllowList(commonNames: ["somebody-else"]))),
                                    client(pki.client))
        guard case .certificateRefused(let verification) = outcome.reason else {
            Issue.record("expected a certificate refusal, got \(String(describing: outcome.reason))")
            return
        }
        let signal = PolicyRefusal.notAllowListed.signal
        #expect(verification.kind == .policy(.notAllowListed))
        #expect(outcome.clientAlert == signal.alert)
        #expect(outcome.record?.metadata["verify_error"] == .string(signal.logName))
        #expect(outcome.record?.metadata["reason"] == .string(signal.reason))
        let subject = try #require(verification.certificate?.subject)
        #expect(subject.contains("CN=client"))
        #expect(outcome.record?.metadata["subject"] == .string(subject))
    }

    @Test func unknownServerNameIsRefusedByName() throws {
        let outcome = try handshake(contexts(unknownSNI: .reject), client(pki.client), serverName: "nowhere.test")
        #expect(outcome.reason == .serverNameRefused)
        #expect(outcome.clientAlert == .unrecognizedName)
        #expect(outcome.record?.counter == .handshakeFailed)
        #expect(outcome.record?.level == .warning)
        #expect(outcome.record?.message == "TLS handshake refused: unknown server name")
    }

    @Test func alpnWithoutHTTP11IsAProtocolMismatch() throws {
        var settings = client(pki.client)
        settings.alpn = ["h2"]
        let outcome = try handshake(contexts(), settings)
        #expect(outcome.reason == .protocolMismatch(.applicationProtocol))
        #expect(outcome.clientAlert == .noApplicationProtocol)
        #expect(outcome.record?.counter == .handshakeFailed)
        #expect(outcome.record?.level == .info)
        #expect(outcome.record?.message == "TLS handshake failed")
    }

    @Test func noSharedCipherIsAProtocolMismatch() throws {
        var settings = client(pki.client, version: .tls12)
        settings.cipherList = "AES128-SHA256"
        let outcome = try handshake(contexts(), settings)
        #expect(outcome.reason == .protocolMismatch(.cipher))
        #expect(outcome.clientAlert == .handshakeFailure)
    }

    /// A client that does not trust the server's certificate ends the handshake with
    /// an alert; the server files it under the alert, not under anything it refused.
    @Test func clientAlertIsThePeersAlert() throws {
        let outcome = try handshake(contexts(), client(pki.client, trusting: pki.otherCA))
        #expect(outcome.reason == .peerAlert(.unknownCA))
        #expect(outcome.record?.counter == .handshakeFailed)
        #expect(outcome.record?.level == .info)
    }

    /// Plain HTTP on the TLS port: no refusal, no alert reason, just a failed handshake
    /// whose log line carries OpenSSL's queue.
    @Test func plainHTTPIsOther() throws {
        let outcome = try handshake(contexts(), client(pki.client), prefix: Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        #expect(outcome.reason == .other)
        #expect(outcome.record?.message == "TLS handshake failed")
        #expect(outcome.record?.metadata["error"] == .string(outcome.failure?.error.description ?? ""))
    }
}
