internal import COpenSSL

/// Owns a client-role `SSL_CTX`: the load generator's and the tests' side of a handshake.
public final class OpenSSLClientContext: @unchecked Sendable {
    // `@unchecked Sendable`: configured in `init`, only read by connections afterwards.
    let pointer: OpaquePointer

    public init(settings: TLSClientSettings) throws {
        BuiltInKeyEngine.prepare()
        OpenSSLError.clearQueue()
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw OpenSSLError.drain("creating a client TLS context") }
        pointer = context
        let minimum = settings.version == .tls13 ? TLS1_3_VERSION : TLS1_2_VERSION
        let maximum = settings.version == .tls12 ? TLS1_2_VERSION : TLS1_3_VERSION
        _ = CPullGuardOpenSSL_SSL_CTX_set_min_proto_version(context, minimum)
        _ = CPullGuardOpenSSL_SSL_CTX_set_max_proto_version(context, maximum)
        if let groups = settings.groups, CPullGuardOpenSSL_SSL_CTX_set1_groups_list(context, groups) != 1 {
            throw UnknownGroupsError(groups: groups, error: OpenSSLError.drain("setting groups \(groups)"))
        }
        if let level = settings.securityLevel { SSL_CTX_set_security_level(context, Int32(level)) }
        if let ciphers = settings.cipherList, SSL_CTX_set_cipher_list(context, ciphers) != 1 {
            throw OpenSSLError.drain("setting ciphers \(ciphers)")
        }
        if let identity = settings.identity {
            let chain = try X509Certificate.loadAll(pem: identity.certificateChain.pem, origin: identity.certificateChain.origin)
            let key = try PrivateKey.load(pem: identity.privateKey.pem, origin: identity.privateKey.origin)
            guard SSL_CTX_use_certificate(context, chain[0].pointer) == 1,
                  SSL_CTX_use_PrivateKey(context, key.pointer) == 1,
                  SSL_CTX_check_private_key(context) == 1 else {
                throw OpenSSLError.drain("using client certificate \(identity.certificateChain.origin) with key \(identity.privateKey.origin)")
            }
            for intermediate in chain.dropFirst() {
                _ = CPullGuardOpenSSL_SSL_CTX_add1_chain_cert(context, intermediate.pointer)
            }
        }
        if let roots = settings.trustRoots {
            let store = SSL_CTX_get_cert_store(context)
            for root in try X509Certificate.loadAll(pem: roots.pem, origin: roots.origin) {
                _ = X509_STORE_add_cert(store, root.pointer)
            }
        }
        SSL_CTX_set_verify(context, settings.verifyServer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)
        if !settings.verifyServer {
            // OpenSSL still builds and checks the server's chain under SSL_VERIFY_NONE, only
            // to record the result; `--insecure` asks for none of it, so skip the work (an
            // ECDSA verification and a chain build per connection on the load generator).
            SSL_CTX_set_cert_verify_callback(context, { _, _ in 1 }, nil)
        }
        let wire = settings.alpn.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
        if !wire.isEmpty { _ = SSL_CTX_set_alpn_protos(context, wire, UInt32(wire.count)) }
        // Keep sessions for resumption tests and `--mode resume`; the caller holds them.
        _ = CPullGuardOpenSSL_SSL_CTX_set_session_cache_mode(context, Int(SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE))
        OpenSSLError.clearQueue()
    }

    deinit {
        SSL_CTX_free(pointer)
    }
}

/// Owns an `SSL_SESSION` a client kept for resumption.
public final class OpenSSLClientSession: @unchecked Sendable {
    // `@unchecked Sendable`: sessions are reference-counted and immutable once issued.
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        SSL_SESSION_free(pointer)
    }
}

/// `TLSClientSettings.groups` names a group this OpenSSL cannot use: its own type so a
/// caller can blame the setting (`pullguard-bench --groups`) without reading the text.
public struct UnknownGroupsError: Error, CustomStringConvertible, Sendable {
    public var groups: String
    public var error: OpenSSLError

    public var description: String { error.description }
}
