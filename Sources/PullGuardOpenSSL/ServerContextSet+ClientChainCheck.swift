internal import COpenSSL
import Foundation
import PullGuardCore

/// `pullguard verify`: runs a site's own `ClientCertificateVerifier` on a chain read from
/// a file, as the handshake would run it on the chain a client sent.
///
/// Nothing here re-implements verification. The site is chosen by the contexts' own
/// `SiteSelector` (as the ClientHello callback chooses it), and the store context is set
/// up the way libssl's `ssl_verify_cert_chain` sets it up before it calls our
/// certificate-verify callback: the site's `X509_STORE`, the leaf, every presented
/// certificate as untrusted, the `ssl_client` defaults and the context's verify depth.
/// Then the verifier's `verify(storeContext:)`, the function the handshake's trampoline
/// calls, decides. Only the alert is looked up here (`VerifyErrorAlert`), because libssl
/// picks it after the callback returns.
extension ServerContextSet {
    /// How `pullguard verify` names the site.
    public enum ClientChainSite: Sendable, Hashable {
        /// As a handshake with this SNI (nil: none sent) would choose it.
        case serverName(String?)
        /// By the site's `name`.
        case named(String)
    }

    public enum ClientChainCheckError: Error, CustomStringConvertible, Sendable {
        case unknownSite(String, known: [String])

        public var description: String {
            switch self {
            case .unknownSite(let name, let known):
                return "no site is named '\(name)'; sites are: \(known.joined(separator: ", "))"
            }
        }
    }

    /// - Parameters:
    ///   - pem: the client's chain, leaf first, then the intermediates it would send.
    ///   - origin: names the file in errors.
    /// - Throws: `ClientChainCheckError` for an unknown site name, or the certificate
    ///   loader's error when the file holds no PEM certificate.
    public func checkClientChain(pem: [UInt8], origin: String, site: ClientChainSite) throws -> ClientChainCheck {
        let presented = try X509Certificate.loadAll(pem: pem, origin: origin)
        let presentedFacts = presented.map(\.facts)
        let context: OpenSSLServerContext
        switch site {
        case .named(let name):
            guard let found = contexts.first(where: { $0.siteName == name }) else {
                throw ClientChainCheckError.unknownSite(name, known: siteNames)
            }
            context = found
        case .serverName(let name):
            switch selector.choose(serverName: name) {
            case .site(let id): context = contexts[id.index]
            case .reject:
                return ClientChainCheck(
                    verdict: .refused, siteName: nil, mode: nil, alert: .unrecognizedName, outcome: nil,
                    reason: "no site has the server name '\(name ?? "")' and unknown_sni is reject",
                    presented: presentedFacts, builtChain: [], trustSource: nil, crl: .notReached,
                    allowListMatch: nil, hasAllowList: false)
            }
        }
        return try context.checkClientChain(presented, facts: presentedFacts)
    }
}

extension OpenSSLServerContext {
    func checkClientChain(_ presented: [X509Certificate], facts presentedFacts: [CertificateFacts]) throws -> ClientChainCheck {
        let policy = verifier.policy
        guard let storeContext = X509_STORE_CTX_new() else { throw OpenSSLError.drain("allocating an X509_STORE_CTX") }
        defer { X509_STORE_CTX_free(storeContext) }
        guard let untrusted = CPullGuardOpenSSL_sk_X509_new_null() else { throw OpenSSLError.drain("allocating a certificate stack") }
        defer { CPullGuardOpenSSL_sk_X509_pop_free(untrusted) }
        // libssl hands the verifier every certificate the client sent, leaf included, as untrusted.
        for certificate in presented {
            X509_up_ref(certificate.pointer)
            _ = CPullGuardOpenSSL_sk_X509_push(untrusted, certificate.pointer)
        }
        OpenSSLError.clearQueue()
        guard X509_STORE_CTX_init(storeContext, store.pointer, presented[0].pointer, untrusted) == 1,
              X509_STORE_CTX_set_default(storeContext, "ssl_client") == 1 else {
            throw OpenSSLError.drain("setting up verification for \(siteName)")
        }
        X509_VERIFY_PARAM_set_depth(X509_STORE_CTX_get0_param(storeContext), Int32(policy.verifyDepth))

        let decision = verifier.verify(storeContext: storeContext)

        let built: [CertificateFacts]
        if case .success(let identity) = decision.outcome {
            built = identity.chain
        } else if let stack = X509_STORE_CTX_get0_chain(storeContext) {
            built = (0..<CPullGuardOpenSSL_sk_X509_num(stack)).compactMap { index in
                CPullGuardOpenSSL_sk_X509_value(stack, index).map { X509Certificate(borrowing: $0).facts }
            }
        } else {
            built = []
        }
        return Self.check(decision: decision, policy: policy, siteName: siteName, presented: presentedFacts,
                          built: built, crlFiles: store.crlInfos.map(\.origin),
                          errorCode: X509_STORE_CTX_get_error(storeContext))
    }

    /// Turns the verifier's decision into the answer; `errorCode` is what the store context
    /// holds after the verifier ran, the code libssl maps to the alert.
    private static func check(decision: ClientCertificateVerifier.Decision, policy: ClientAuthPolicy, siteName: String,
                              presented: [CertificateFacts], built: [CertificateFacts], crlFiles: [String],
                              errorCode: Int32) -> ClientChainCheck {
        let crlErrors: Set<Int32> = [X509_V_ERR_CERT_REVOKED, X509_V_ERR_UNABLE_TO_GET_CRL, X509_V_ERR_CRL_HAS_EXPIRED,
                                     X509_V_ERR_CRL_NOT_YET_VALID, X509_V_ERR_CRL_SIGNATURE_FAILURE,
                                     X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER]
        switch decision.outcome {
        case .success(let identity):
            return ClientChainCheck(
                verdict: .admitted, siteName: siteName, mode: policy.mode, alert: nil, outcome: decision.outcome,
                reason: "the chain verified against \(identity.trustSource) and the site's policy admitted it",
                presented: presented, builtChain: built, trustSource: identity.trustSource,
                crl: crlFiles.isEmpty ? .notConfigured : .passed(crlFiles),
                allowListMatch: policy.allowList.firstMatch(for: identity.leaf), hasAllowList: !policy.allowList.isEmpty)
        case .failed(let failure):
            let crl: ClientChainCheck.CRLStatus
            if crlFiles.isEmpty {
                crl = .notConfigured
            } else if case .chain(let code) = failure.kind, crlErrors.contains(code) {
                crl = .failed(failure.reason)
            } else if case .policy = failure.kind {
                crl = .passed(crlFiles)  // the chain, revocation included, verified before the policy ran
            } else {
                crl = .notReached
            }
            let verdict: ClientChainCheck.Verdict = decision.accept ? .forwardedUnverified : .refused
            return ClientChainCheck(
                verdict: verdict, siteName: siteName, mode: policy.mode,
                alert: decision.accept ? nil : VerifyErrorAlert.alert(for: errorCode), outcome: decision.outcome,
                reason: "\(failure.reason) (\(failure.errorName) at depth \(failure.depth))",
                presented: presented, builtChain: built, trustSource: nil, crl: crl,
                allowListMatch: nil, hasAllowList: !policy.allowList.isEmpty)
        case .none:
            // Not reachable with a chain from a file; the file loader refuses an empty one.
            return ClientChainCheck(
                verdict: decision.accept ? .forwardedUnverified : .refused, siteName: siteName, mode: policy.mode,
                alert: decision.accept ? nil : .certificateRequired, outcome: decision.outcome,
                reason: "no certificate", presented: presented, builtChain: built, trustSource: nil,
                crl: .notReached, allowListMatch: nil, hasAllowList: !policy.allowList.isEmpty)
        }
    }
}
