internal import COpenSSL
import Foundation
import NIOConcurrencyHelpers
import PullGuardCore

/// Runs one site's client-certificate check inside the handshake: OpenSSL builds and
/// verifies the chain against the site's store, then `ClientAuthPolicy` decides on values.
///
/// This replaces OpenSSL's default `X509_verify_cert` call through
/// `SSL_CTX_set_cert_verify_callback`, whose documented contract is exactly to
/// call `X509_verify_cert` (or not) on the given store context. Doing it here, not in a
/// per-certificate verify callback, gives one decision point per handshake: the
/// place for the verdict cache and the one place that records what happened.
final class ClientCertificateVerifier: Sendable {
    let siteName: String
    let store: X509TrustStore
    let policy: ClientAuthPolicy
    /// Admitted chains of this trust-store generation (see `VerdictCache` for why this is safe).
    private let cache = NIOLockedValueBox(VerdictCache())

    init(siteName: String, store: X509TrustStore, policy: ClientAuthPolicy) {
        self.siteName = siteName
        self.store = store
        self.policy = policy
    }

    /// Number of chains currently cached, for tests and metrics.
    var cachedVerdicts: Int { cache.withLockedValue { $0.count } }

    /// Empties the verdict cache (what happens anyway when it reaches capacity); lets tests
    /// exercise the paths that run when a chain is no longer cached.
    func removeAllCachedVerdicts() {
        cache.withLockedValue { $0 = VerdictCache(capacity: $0.capacity) }
    }

    /// `require`: no certificate fails the handshake (certificate_required in TLS 1.3);
    /// `optional`: the client may send none and everything is reported upstream.
    var opensslVerifyMode: Int32 {
        switch policy.mode {
        case .require: return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
        case .optional: return SSL_VERIFY_PEER
        }
    }

    struct Decision {
        var accept: Bool
        var outcome: VerificationOutcome
    }

    /// Verifies the presented chain held by `storeContext`.
    func verify(storeContext: OpaquePointer) -> Decision {
        let key = presentedChainKey(storeContext)
        let now = Date()
        if let key, let identity = cache.withLockedValue({ $0.lookup(key, now: now) }) {
            return Decision(accept: true, outcome: .success(identity))
        }
        configure(storeContext)
        let presentedLeaf = X509_STORE_CTX_get0_cert(storeContext).map { X509Certificate(borrowing: $0).facts }
        OpenSSLError.clearQueue()
        if X509_verify_cert(storeContext) != 1 {
            OpenSSLError.clearQueue()
            let code = X509_STORE_CTX_get_error(storeContext)
            let current = X509_STORE_CTX_get_current_cert(storeContext).map { X509Certificate(borrowing: $0).facts }
            let failure = VerificationFailure(
                kind: .chain(code: code),
                reason: String(cString: X509_verify_cert_error_string(Int(code))),
                errorName: VerifyErrorNames.name(of: code),
                depth: Int(X509_STORE_CTX_get_error_depth(storeContext)),
                certificate: current ?? presentedLeaf,
                presentedLeaf: presentedLeaf
            )
            return finish(.failed(failure))
        }
        let chain = verifiedChain(storeContext)
        let anchorFingerprint = chain.last?.sha256Fingerprint ?? ""
        let source = store.sourceByAnchorFingerprint[anchorFingerprint] ?? "unknown"
        switch policy.evaluate(chain: chain) {
        case .admit:
            // The anchor's index is looked up here, once per verified chain (and cached with
            // it), so counting the admission per anchor costs an array index, not a string.
            let identity = PeerIdentity(chain: chain, trustSource: source,
                                        anchorIndex: store.anchorIndexByFingerprint[anchorFingerprint])
            if let key {
                cache.withLockedValue { $0.store(key, identity: identity, notAfterLimit: store.earliestCRLNextUpdate) }
            }
            return Decision(accept: true, outcome: .success(identity))
        case .refuse(let refusal):
            X509_STORE_CTX_set_error(storeContext, refusal.signal.verifyError)
            let failure = refusal.failure(chain: chain)
            return finish(.failed(failure))
        }
    }

    /// In `optional` mode a failure is recorded and the handshake goes on.
    private func finish(_ outcome: VerificationOutcome) -> Decision {
        Decision(accept: policy.mode == .optional, outcome: outcome)
    }

    /// Sets depth, purpose, security level and revocation checking on this one
    /// verification. Done here rather than on the SSL_CTX because SNI switching
    /// (`SSL_set_SSL_CTX`) does not carry the new context's verify parameters over.
    private func configure(_ storeContext: OpaquePointer) {
        guard let parameters = X509_STORE_CTX_get0_param(storeContext) else { return }
        X509_VERIFY_PARAM_set_depth(parameters, Int32(policy.verifyDepth))
        _ = X509_VERIFY_PARAM_set_purpose(parameters, X509_PURPOSE_SSL_CLIENT)
        // Level 2: RSA/DSA/DH keys of at least 2048 bits, no SHA-1 or MD5 signatures,
        // whatever the system-wide OpenSSL configuration says.
        X509_VERIFY_PARAM_set_auth_level(parameters, 2)
        var flags: UInt = 0
        if policy.partialChain { flags |= UInt(X509_V_FLAG_PARTIAL_CHAIN) }
        if store.hasCRLs { flags |= UInt(X509_V_FLAG_CRL_CHECK) | UInt(X509_V_FLAG_CRL_CHECK_ALL) }
        _ = X509_VERIFY_PARAM_set_flags(parameters, flags)
    }

    /// The key of the chain held by `storeContext`: the leaf, then the other certificates
    /// the client sent, in order.
    private func presentedChainKey(_ storeContext: OpaquePointer) -> [UInt8]? {
        guard let leaf = X509_STORE_CTX_get0_cert(storeContext) else { return nil }
        return Self.chainKey(leaf: leaf, sent: X509_STORE_CTX_get0_untrusted(storeContext))
    }

    /// SHA-256 over the SHA-256 of each certificate the client presented (leaf, then its
    /// intermediates in the order sent): identifies the exact presented chain.
    /// - Parameter sent: the certificates the client sent; the leaf may or may not be in it.
    static func chainKey(leaf: OpaquePointer, sent: OpaquePointer?) -> [UInt8]? {
        var presented = [leaf]
        if let sent {
            for index in 0..<CPullGuardOpenSSL_sk_X509_num(sent) {
                if let cert = CPullGuardOpenSSL_sk_X509_value(sent, index), cert != leaf { presented.append(cert) }
            }
        }
        var digests: [UInt8] = []
        for cert in presented {
            var digest = [UInt8](repeating: 0, count: 32)
            var length: UInt32 = 0
            guard X509_digest(cert, EVP_sha256(), &digest, &length) == 1, length == 32 else { return nil }
            digests += digest
        }
        return SHA256Digest.hash(digests)
    }

    /// The chain OpenSSL verified: leaf first, trust anchor last.
    private func verifiedChain(_ storeContext: OpaquePointer) -> [CertificateFacts] {
        guard let stack = X509_STORE_CTX_get0_chain(storeContext) else { return [] }
        return (0..<CPullGuardOpenSSL_sk_X509_num(stack)).compactMap { index in
            CPullGuardOpenSSL_sk_X509_value(stack, index).map { X509Certificate(borrowing: $0).facts }
        }
    }
}
