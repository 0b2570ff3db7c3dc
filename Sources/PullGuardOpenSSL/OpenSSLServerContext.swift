internal import COpenSSL
import NIOCore
import Foundation
import PullGuardCore

/// Owns one site's `SSL_CTX`: its server certificates, its client-auth policy and
/// trust store, ALPN, and the callbacks that reach back into Swift.
///
/// One context per site and configuration generation, built off the event loop
/// by `ServerContextSet`; handshakes only read it. OpenSSL's callbacks find this
/// owner through the context's app data, which stays valid because every
/// `OpenSSLConnection` keeps its `ServerContextSet` (and so this object) alive.
public final class OpenSSLServerContext: @unchecked Sendable {
    // `@unchecked Sendable`: configured completely in `init`; afterwards OpenSSL
    // only reads the SSL_CTX, with its own locking for the session cache.
    let pointer: OpaquePointer
    public let siteName: String
    /// The site's identity in the configuration's `SiteTable`, handed to the proxy on
    /// the established event.
    public let siteID: SiteID
    let verifier: ClientCertificateVerifier
    /// The site's client trust store (anchors and CRLs), for `inventory`.
    let store: X509TrustStore
    /// notAfter of each loaded server certificate (leaf), in config order.
    private(set) var serverCertificatesNotAfter: [Date] = []
    /// ALPN protocols in wire format (length-prefixed), server preference first.
    let alpnWire: [UInt8]
    /// SHA-256 of the site's client-auth settings: what a session's binding must match.
    let clientAuthDigest: [UInt8]
    /// The session cache shared by every site of the listener (see `SessionStore`).
    let sessions: SessionStore

    /// - Parameters:
    ///   - sessions: the listener's session store; a context built alone (`pullguard check`) gets its own.
    ///   - sessionLifetime: OpenSSL's per-session timeout, also the lifetime hint sent with tickets.
    ///   - id: the site's position in its `SiteTable`.
    package init(site whole: Site, id: SiteID, sessions: SessionStore? = nil,
         sessionLifetime: TimeAmount = TLSListenerSettings.defaultSessionLifetime) throws {
        let site = whole.tls
        BuiltInKeyEngine.prepare()
        OpenSSLError.clearQueue()
        guard let context = SSL_CTX_new(TLS_server_method()) else {
            throw OpenSSLError.drain("creating the TLS context for site \(whole.name)")
        }
        pointer = context
        siteName = whole.name
        siteID = id
        let store = try X509TrustStore(trustSources: site.trustSources, crls: site.crls)
        self.store = store
        verifier = ClientCertificateVerifier(siteName: whole.name, store: store, policy: site.clientAuth)
        alpnWire = site.alpn.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
        clientAuthDigest = SHA256Digest.hash(site.clientAuthCanonicalBytes)
        self.sessions = sessions ?? SessionStore(capacity: TLSProtocolPolicy.sessionCacheSize)

        try applyProtocolSettings(site: whole.name, sessionLifetime: sessionLifetime)
        try loadIdentities(site.identities, site: whole.name)
        try applyClientAuth(site: site, name: whole.name, store: store)
        CPullGuardOpenSSL_SSL_CTX_set_app_data(context, Unmanaged.passUnretained(self).toOpaque())
        SSL_CTX_set_alpn_select_cb(context, alpnSelectTrampoline, nil)
    }

    deinit {
        SSL_CTX_free(pointer)
    }

    /// TLS 1.2 and 1.3 only, ECDHE with X25519 and P-256 only, AEAD suites only,
    /// and the hot-path modes: no automatic chain building per handshake.
    private func applyProtocolSettings(site: String, sessionLifetime: TimeAmount) throws {
        func check(_ ok: Bool, _ what: String) throws {
            if !ok { throw OpenSSLError.drain("\(what) for site \(site)") }
        }
        try check(CPullGuardOpenSSL_SSL_CTX_set_min_proto_version(pointer, TLS1_2_VERSION) == 1, "setting TLS 1.2 as minimum")
        try check(CPullGuardOpenSSL_SSL_CTX_set_max_proto_version(pointer, TLS1_3_VERSION) == 1, "setting TLS 1.3 as maximum")
        try check(SSL_CTX_set_cipher_list(pointer, TLSProtocolPolicy.tls12Ciphers) == 1, "setting TLS 1.2 ciphers")
        try check(SSL_CTX_set_ciphersuites(pointer, TLSProtocolPolicy.tls13Ciphersuites) == 1, "setting TLS 1.3 cipher suites")
        try check(CPullGuardOpenSSL_SSL_CTX_set1_groups_list(pointer, TLSProtocolPolicy.groups) == 1, "setting ECDHE groups")
        let options = CPullGuardOpenSSL_SSL_OP_NO_RENEGOTIATION() | CPullGuardOpenSSL_SSL_OP_NO_COMPRESSION()
            | CPullGuardOpenSSL_SSL_OP_CIPHER_SERVER_PREFERENCE() | CPullGuardOpenSSL_SSL_OP_NO_TICKET()
        SSL_CTX_set_options(pointer, UInt64(options))
        // The chain is attached explicitly at load; rebuilding it per handshake costs ~13%.
        // Idle connections give their 16 KiB+ read and write buffers back (docs/performance.md:
        // most of the per-connection memory, for ~1.5% more CPU per handshake).
        _ = CPullGuardOpenSSL_SSL_CTX_set_mode(pointer, Int(SSL_MODE_NO_AUTO_CHAIN | SSL_MODE_RELEASE_BUFFERS))
        // Stateful resumption from a bounded in-memory cache: with SSL_OP_NO_TICKET, TLS 1.3
        // tickets are session IDs, far cheaper than stateless tickets that re-encrypt the
        // client certificate each time. One ticket per handshake instead of OpenSSL's two.
        // The cache is PullGuard's (`SessionStore`), not OpenSSL's, so that each resumption
        // is checked against the binding of the session (docs/verification.md, "Sessions").
        let cacheMode = SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL
        _ = CPullGuardOpenSSL_SSL_CTX_set_session_cache_mode(pointer, Int(cacheMode))
        SSL_CTX_sess_set_new_cb(pointer, newSessionTrampoline)
        SSL_CTX_sess_set_get_cb(pointer, getSessionTrampoline)
        SSL_CTX_sess_set_remove_cb(pointer, removeSessionTrampoline)
        _ = SSL_CTX_set_timeout(pointer, Int(max(1, sessionLifetime.nanoseconds / 1_000_000_000)))
        _ = SSL_CTX_set_num_tickets(pointer, 1)
    }

    /// Loads each certificate chain and key, refusing a key that does not match its
    /// certificate and two identities of the same key type (OpenSSL keeps one per type).
    private func loadIdentities(_ identities: [ServerIdentitySource], site: String) throws {
        var seenTypes: [Int32: String] = [:]
        for identity in identities {
            let chainOrigin = identity.certificateChain.origin
            let chain = try X509Certificate.loadAll(pem: identity.certificateChain.pem, origin: chainOrigin)
            let key = try PrivateKey.load(pem: identity.privateKey.pem, origin: identity.privateKey.origin)
            let leaf = chain[0]
            serverCertificatesNotAfter.append(X509Certificate.date(X509_get0_notAfter(leaf.pointer)))
            OpenSSLError.clearQueue()
            guard X509_check_private_key(leaf.pointer, key.pointer) == 1 else {
                OpenSSLError.clearQueue()
                throw ServerIdentityError.keyMismatch(certificate: chainOrigin, key: identity.privateKey.origin)
            }
            let keyType = EVP_PKEY_get_base_id(key.pointer)
            if let earlier = seenTypes[keyType] {
                throw ServerIdentityError.duplicateKeyType(first: earlier, second: chainOrigin)
            }
            seenTypes[keyType] = chainOrigin
            guard SSL_CTX_use_certificate(pointer, leaf.pointer) == 1,
                  SSL_CTX_use_PrivateKey(pointer, key.pointer) == 1 else {
                throw OpenSSLError.drain("using certificate \(chainOrigin) with key \(identity.privateKey.origin)")
            }
            for intermediate in chain.dropFirst() {
                guard CPullGuardOpenSSL_SSL_CTX_add1_chain_cert(pointer, intermediate.pointer) == 1 else {
                    throw OpenSSLError.drain("attaching chain certificate \(intermediate.subjectDescription) from \(chainOrigin)")
                }
            }
        }
        if identities.isEmpty {
            throw ServerIdentityError.noIdentity(site: site)
        }
    }

    /// Client-auth mode, the CA names sent in CertificateRequest, the session-ID context
    /// (resumed sessions never cross sites), and the certificate verification trampoline.
    private func applyClientAuth(site: TLSSiteSettings, name siteName: String, store: X509TrustStore) throws {
        SSL_CTX_set_verify(pointer, verifier.opensslVerifyMode, nil)
        SSL_CTX_set_cert_verify_callback(pointer, certificateVerifyTrampoline, nil)
        // The site's own store, by reference: SNI switching copies it with the context's
        // certificate settings, so each site verifies against its own anchors.
        guard CPullGuardOpenSSL_SSL_CTX_set1_verify_cert_store(pointer, store.pointer) == 1 else {
            throw OpenSSLError.drain("attaching the client trust store for site \(siteName)")
        }
        SSL_CTX_set_verify_depth(pointer, Int32(site.clientAuth.verifyDepth))
        if let names = CPullGuardOpenSSL_sk_X509_NAME_new_null() {
            for anchor in store.anchors {
                if let name = X509_NAME_dup(X509_get_subject_name(anchor.pointer)) {
                    _ = CPullGuardOpenSSL_sk_X509_NAME_push(names, name)
                }
            }
            SSL_CTX_set_client_CA_list(pointer, names)
        }
        let sessionContext = Array(SHA256Digest.hash(Array("pullguard-site:\(siteName)".utf8)).prefix(32))
        guard SSL_CTX_set_session_id_context(pointer, sessionContext, UInt32(sessionContext.count)) == 1 else {
            throw OpenSSLError.drain("setting the session ID context for site \(siteName)")
        }
    }

    /// The context owner behind an `SSL_CTX` whose app data we set.
    static func owner(of context: OpaquePointer?) -> OpenSSLServerContext? {
        guard let context, let raw = CPullGuardOpenSSL_SSL_CTX_get_app_data(context) else { return nil }
        return Unmanaged<OpenSSLServerContext>.fromOpaque(raw).takeUnretainedValue()
    }
}

/// Problems with a site's own certificates, reported at startup with both file names.
public enum ServerIdentityError: Error, CustomStringConvertible, Sendable {
    case keyMismatch(certificate: String, key: String)
    case duplicateKeyType(first: String, second: String)
    case noIdentity(site: String)

    public var description: String {
        switch self {
        case .keyMismatch(let certificate, let key):
            return "private key \(key) does not match certificate \(certificate)"
        case .duplicateKeyType(let first, let second):
            return "certificates \(first) and \(second) use the same key type; a site takes at most one ECDSA and one RSA certificate"
        case .noIdentity(let site):
            return "site \(site) has no certificate"
        }
    }
}

/// ALPN: pick the first of our protocols the client offers; no overlap is a fatal
/// `no_application_protocol` alert (RFC 7301), as nginx does.
private func alpnSelectTrampoline(
    ssl: OpaquePointer?, out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, outLength: UnsafeMutablePointer<UInt8>?,
    input: UnsafePointer<UInt8>?, inputLength: UInt32, arg: UnsafeMutableRawPointer?
) -> Int32 {
    guard let context = OpenSSLServerContext.owner(of: SSL_get_SSL_CTX(ssl)), let input else {
        return SSL_TLSEXT_ERR_ALERT_FATAL
    }
    return context.alpnWire.withUnsafeBufferPointer { server in
        var selected: UnsafeMutablePointer<UInt8>?
        var selectedLength: UInt8 = 0
        let result = SSL_select_next_proto(&selected, &selectedLength, server.baseAddress, UInt32(server.count), input, inputLength)
        guard result == OPENSSL_NPN_NEGOTIATED, let selected else { return SSL_TLSEXT_ERR_ALERT_FATAL }
        // `selected` points into `server`'s storage, which the context keeps alive; OpenSSL copies it.
        out?.pointee = UnsafePointer(selected)
        outLength?.pointee = selectedLength
        return SSL_TLSEXT_ERR_OK
    }
}

/// OpenSSL's certificate-verification hook (`SSL_CTX_set_cert_verify_callback`): recovers
/// the connection and hands the whole decision to `ClientCertificateVerifier`.
private func certificateVerifyTrampoline(storeContext: OpaquePointer?, arg: UnsafeMutableRawPointer?) -> Int32 {
    guard let storeContext,
          let rawSSL = X509_STORE_CTX_get_ex_data(storeContext, SSL_get_ex_data_X509_STORE_CTX_idx()),
          let connection = OpenSSLConnection.owner(of: OpaquePointer(rawSSL)),
          let context = OpenSSLServerContext.owner(of: SSL_get_SSL_CTX(OpaquePointer(rawSSL))) else {
        return 0  // fail closed: a handshake we cannot attribute is never accepted
    }
    let decision = context.verifier.verify(storeContext: storeContext)
    connection.recordVerification(decision.outcome)
    return decision.accept ? 1 : 0
}
