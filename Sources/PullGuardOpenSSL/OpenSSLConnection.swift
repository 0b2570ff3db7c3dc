internal import COpenSSL
import Foundation
import NIOCore
import PullGuardCore

/// Owns one server-side `SSL` (and, through it, its `MemoryBIOPair`): bytes from
/// the network go in through `receive(ciphertext:)`, bytes for the network come
/// out of `takeCiphertext(allocator:)`.
///
/// Memory BIOs, not a custom BIO over ByteBuffers: the handshake dominates our
/// cost (~340 µs of server CPU per full mTLS handshake) and the extra copy per
/// record is 0.05–0.17 µs; see docs/architecture.md for the measurement.
package final class OpenSSLConnection {
    let pointer: OpaquePointer
    private let bios: MemoryBIOPair
    /// Keeps every site's context (and so the callbacks' owners) alive for this connection.
    let contexts: ServerContextSet
    private(set) var site: OpenSSLServerContext
    private(set) var serverName: String?
    /// Set by the certificate-verify trampoline; nil until the client sent a certificate.
    private(set) var verification: VerificationOutcome?

    package init(contexts: ServerContextSet) throws {
        let site = contexts.defaultContext
        let (ssl, bios) = try MemoryBIOPair.newSSL(from: site.pointer, "creating a TLS connection")
        self.bios = bios
        SSL_set_accept_state(ssl)
        pointer = ssl
        self.contexts = contexts
        self.site = site
        _ = CPullGuardOpenSSL_SSL_set_app_data(ssl, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        SSL_free(pointer)
    }

    static func owner(of ssl: OpaquePointer) -> OpenSSLConnection? {
        guard let raw = CPullGuardOpenSSL_SSL_get_app_data(ssl) else { return nil }
        return Unmanaged<OpenSSLConnection>.fromOpaque(raw).takeUnretainedValue()
    }

    // MARK: - Callbacks from OpenSSL (via trampolines)

    /// True once the ClientHello callback chose a site.
    private(set) var siteSelected = false
    /// The site the ClientHello chose; nil before (a handshake that ended earlier has no site).
    package var selectedSite: SiteID? { siteSelected ? site.siteID : nil }
    /// The handshake was refused for its SNI (unknown, malformed, or changed after HelloRetryRequest).
    private(set) var serverNameRefused = false
    /// The binding of the session this handshake resumes; set only when it was admitted.
    private var resumedBinding: SessionBinding?
    /// Why an offered session was not resumed (the client then got a full handshake).
    private(set) var sessionRefusal: SessionBinding.Refusal?

    /// Called from the ClientHello callback, before OpenSSL looks up a session or asks for a
    /// certificate: picks the site for the SNI and switches this connection to its context.
    /// `SSL_set_SSL_CTX` there is OpenSSL's documented way to do this; it also moves the
    /// session-ID context to the site's, and does not copy the verify mode, so we set it.
    /// - Returns: false when the SNI is unknown and the listener rejects unknown names, or
    ///   when a second ClientHello (after HelloRetryRequest) names another site.
    func selectSite(serverName name: String?) -> Bool {
        switch contexts.selector.choose(serverName: name) {
        case .reject:
            serverName = name
            serverNameRefused = true
            return false
        case .site(let id):
            let chosen = contexts.contexts[id.index]
            if siteSelected {
                serverNameRefused = !(chosen === site && name == serverName)
                return !serverNameRefused
            }
            serverName = name
            if chosen !== site {
                guard SSL_set_SSL_CTX(pointer, chosen.pointer) != nil else { return false }
                site = chosen
            }
            SSL_set_verify(pointer, chosen.verifier.opensslVerifyMode, nil)
            siteSelected = true
            return true
        }
    }

    func recordBadServerName() {
        serverNameRefused = true
    }

    /// Remembers the verdict of this handshake's certificate check.
    func recordVerification(_ outcome: VerificationOutcome) {
        verification = outcome
    }

    /// The stored session for `id` if its binding admits it on this connection's site now,
    /// with a reference for OpenSSL; nil (a full handshake) otherwise.
    func lookUpSession(id: [UInt8]) -> OpaquePointer? {
        let now = Date()
        guard let (session, binding) = contexts.sessions.lookup(id: id, now: now) else { return nil }
        if let refusal = binding.refusal(siteName: site.siteName, clientAuthDigest: site.clientAuthDigest, now: now) {
            sessionRefusal = refusal
            SSL_SESSION_free(session)
            return nil
        }
        resumedBinding = binding
        return session
    }

    /// Keeps a session OpenSSL just made, bound to what it stands for: on a resumption,
    /// the binding of the resumed session (so the lifetime stays counted from the full
    /// handshake); otherwise this handshake's site, settings and verdict.
    func storeNewSession(_ session: OpaquePointer, id: [UInt8]) -> Bool {
        let binding: SessionBinding
        if SSL_session_reused(pointer) == 1 {
            guard let resumedBinding else { return false }
            binding = resumedBinding
        } else {
            binding = SessionBinding(
                siteName: site.siteName, clientAuthDigest: site.clientAuthDigest, outcome: verification ?? .none,
                verifiedAt: Date(), crlNextUpdate: site.verifier.store.earliestCRLNextUpdate,
                lifetime: contexts.sessionLifetime)
        }
        contexts.sessions.insert(id: id, session: session, binding: binding)
        return true
    }

    // MARK: - Driving the connection

    /// Hands bytes read from the socket to OpenSSL.
    package func receive(ciphertext: ByteBuffer) {
        bios.receive(ciphertext)
    }

    /// Everything OpenSSL has produced for the network (handshake records, alerts, data).
    package func takeCiphertext(allocator: ByteBufferAllocator) -> ByteBuffer? {
        bios.take(allocator: allocator)
    }

    /// Bytes received that OpenSSL has not read yet (records behind a finished handshake),
    /// or records it has read but not yet handed out.
    package var hasUnreadInput: Bool {
        bios.hasUnreadInput || SSL_has_pending(pointer) == 1
    }

    /// The negotiated version is TLS 1.3.
    package var isTLS13: Bool {
        SSL_version(pointer) == TLS1_3_VERSION
    }

    package enum HandshakeResult {
        case complete
        case needsMoreData
        case failed(TLSHandshakeFailure)
    }

    package func handshake() -> HandshakeResult {
        OpenSSLError.clearQueue()
        let result = SSL_do_handshake(pointer)
        if result == 1 { return .complete }
        switch SSL_get_error(pointer, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .needsMoreData
        default:
            return .failed(handshakeFailure())
        }
    }

    /// Decides, once and here, why the handshake failed: from what our callbacks recorded
    /// and the drained error queue, never from its text.
    private func handshakeFailure() -> TLSHandshakeFailure {
        let error = OpenSSLError.drain("TLS handshake")
        let reason = TLSHandshakeFailure.Reason(verification: verification, serverNameRefused: serverNameRefused, error: error)
        return TLSHandshakeFailure(siteName: site.siteName, serverName: serverName, reason: reason, error: error)
    }

    package enum ReadResult {
        case data
        case needsMoreData
        /// The peer sent close_notify.
        case closed
        case failed(OpenSSLError)
    }

    /// Decrypts as much application data as is available into `buffer`.
    package func read(into buffer: inout ByteBuffer) -> ReadResult {
        switch SSLApplicationRead.readAvailable(pointer, into: &buffer, operation: "reading TLS application data") {
        case .data: return .data
        case .needsMoreData: return .needsMoreData
        case .closed: return .closed
        case .failed(let error): return .failed(error)
        }
    }

    /// Encrypts `plaintext`; the records then wait in `takeCiphertext`.
    package func write(plaintext: ByteBuffer) -> OpenSSLError? {
        var failure: OpenSSLError?
        plaintext.withUnsafeReadableBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                OpenSSLError.clearQueue()
                let written = SSL_write(pointer, bytes.baseAddress! + offset, Int32(bytes.count - offset))
                if written <= 0 {
                    failure = OpenSSLError.drain("writing TLS application data")
                    return
                }
                offset += Int(written)
            }
        }
        return failure
    }

    /// Marks the connection as cleanly ended so `SSL_free` keeps its session in the cache.
    ///
    /// OpenSSL drops a session from the cache when its connection is freed without a
    /// close_notify exchange. Many clients (and load generators) just close the TCP
    /// connection after a complete exchange; like nginx, a connection whose handshake
    /// completed and that saw no record error keeps its session resumable.
    package func keepSessionResumable() {
        SSL_set_shutdown(pointer, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN)
    }

    /// Queues a close_notify alert.
    package func shutdown() {
        OpenSSLError.clearQueue()
        _ = SSL_shutdown(pointer)
        OpenSSLError.clearQueue()
    }

    /// What the finished handshake negotiated, for the layers above.
    package func establishedEvent() -> TLSConnectionEstablished {
        var alpnData: UnsafePointer<UInt8>?
        var alpnLength: UInt32 = 0
        SSL_get0_alpn_selected(pointer, &alpnData, &alpnLength)
        let alpn = alpnData.map { String(decoding: UnsafeBufferPointer(start: $0, count: Int(alpnLength)), as: UTF8.self) }
        let cipher = SSL_get_current_cipher(pointer).flatMap { SSL_CIPHER_get_name($0) }.map { String(cString: $0) } ?? ""
        let outcome: VerificationOutcome
        if SSL_session_reused(pointer) == 1 {
            outcome = resumedVerification()
        } else {
            outcome = verification ?? .none
        }
        return TLSConnectionEstablished(
            site: site.siteID, siteName: site.siteName, serverName: serverName, alpn: alpn,
            protocolVersion: String(cString: SSL_get_version(pointer)), cipher: cipher,
            resumed: SSL_session_reused(pointer) == 1, verification: outcome, sessionRefusal: sessionRefusal?.rawValue
        )
    }

    /// A resumed session skipped verification: its verdict is the one recorded in the
    /// binding that admitted it. Without one (a session PullGuard did not store), fail closed.
    private func resumedVerification() -> VerificationOutcome {
        if let resumedBinding { return resumedBinding.outcome }
        let leaf = SSL_get0_peer_certificate(pointer).map { X509Certificate(borrowing: $0).facts }
        return .failed(VerificationFailure(
            kind: .chain(code: X509_V_ERR_UNSPECIFIED), reason: "resumed session without a recorded verification",
            errorName: VerifyErrorNames.name(of: X509_V_ERR_UNSPECIFIED), depth: 0, certificate: leaf, presentedLeaf: leaf))
    }
}
