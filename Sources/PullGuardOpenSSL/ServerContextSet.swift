internal import COpenSSL
import Foundation
import NIOCore
import PullGuardCore

/// All of a listener's TLS contexts for one configuration generation: one
/// `SSL_CTX` per site plus the SNI choice between them.
///
/// Building it parses every certificate, key, trust bundle and CRL, so it runs
/// once, off the event loop; a reload builds a new set and swaps it in whole,
/// keeping the old one if the new one fails.
public final class ServerContextSet: Sendable {
    /// One context per site, at the site's `SiteID.index`.
    let contexts: [OpenSSLServerContext]
    let selector: SiteSelector
    let defaultIndex: Int
    /// Every site's sessions, each bound to the site and trust that verified it.
    package let sessions: SessionStore
    public let handshakeTimeout: TimeAmount
    /// `session_lifetime` in seconds, for `SessionBinding`.
    let sessionLifetime: TimeInterval

    /// - Parameters:
    ///   - sites: the configuration's sites; each gets its context at its `SiteID`, and the
    ///     SNI choice uses the table's own name ranking and default site.
    ///   - settings: what the listener does with unknown SNI, and its timing.
    public convenience init(sites: SiteTable, settings: TLSListenerSettings = TLSListenerSettings()) throws {
        try self.init(sites: sites, settings: settings, sessions: SessionStore(capacity: TLSProtocolPolicy.sessionCacheSize))
    }

    /// - Parameter sessions: the store to keep sessions in; a reload passes the previous
    ///   generation's, so sessions whose site's client-auth settings did not change still resume.
    package init(sites: SiteTable, settings: TLSListenerSettings, sessions: SessionStore) throws {
        contexts = try zip(sites.ids, sites).map { id, site in
            try OpenSSLServerContext(site: site, id: id, sessions: sessions, sessionLifetime: settings.sessionLifetime)
        }
        selector = SiteSelector(sites: sites, unknownSNI: settings.unknownSNI)
        defaultIndex = sites.defaultSite.index
        self.sessions = sessions
        handshakeTimeout = settings.handshakeTimeout
        sessionLifetime = TimeInterval(settings.sessionLifetime.nanoseconds) / 1e9
        // The site is chosen from the ClientHello callback, which OpenSSL runs before it looks
        // up a session; the servername callback only acknowledges the name. Only the context
        // a connection starts with runs them; every site gets them so any can be the default.
        for context in contexts {
            SSL_CTX_set_client_hello_cb(context.pointer, clientHelloTrampoline, nil)
            _ = CPullGuardOpenSSL_SSL_CTX_set_tlsext_servername_callback(context.pointer, serverNameTrampoline)
        }
    }

    var defaultContext: OpenSSLServerContext { contexts[defaultIndex] }

    /// Names of the sites, in configuration order.
    public var siteNames: [String] { contexts.map(\.siteName) }

    /// Each site's certificates, anchors and CRLs as values, by `SiteID.index`: what the
    /// per-site metrics (`PullGuardMetrics.siteMetrics(for:)`) and `/config` are built from.
    public var inventory: [SiteInventory] {
        contexts.map { context in
            SiteInventory(name: context.siteName, serverCertificatesNotAfter: context.serverCertificatesNotAfter,
                          anchors: context.store.anchorInfos, crls: context.store.crlInfos)
        }
    }
}

/// ClientHello: reads the SNI and lets the connection switch to the chosen site's context
/// before OpenSSL resumes a session or asks for a certificate (docs/verification.md,
/// "Choosing the site").
private func clientHelloTrampoline(ssl: OpaquePointer?, alert: UnsafeMutablePointer<Int32>?,
                                   arg: UnsafeMutableRawPointer?) -> Int32 {
    guard let ssl, let connection = OpenSSLConnection.owner(of: ssl) else {
        alert?.pointee = SSL_AD_INTERNAL_ERROR
        return SSL_CLIENT_HELLO_ERROR
    }
    var data: UnsafePointer<UInt8>?
    var length = 0
    var serverName: String?
    if SSL_client_hello_get0_ext(ssl, UInt32(TLSEXT_TYPE_server_name), &data, &length) == 1 {
        do {
            serverName = try ServerNameExtension.hostName(from: UnsafeBufferPointer(start: data, count: data == nil ? 0 : length))
        } catch {
            connection.recordBadServerName()
            alert?.pointee = error == .malformed ? SSL_AD_DECODE_ERROR : SSL_AD_UNRECOGNIZED_NAME
            return SSL_CLIENT_HELLO_ERROR
        }
    }
    if connection.selectSite(serverName: serverName) { return SSL_CLIENT_HELLO_SUCCESS }
    alert?.pointee = SSL_AD_UNRECOGNIZED_NAME
    return SSL_CLIENT_HELLO_ERROR
}

/// SNI: the site was already chosen from the ClientHello; this only acknowledges the name
/// (so OpenSSL answers the extension), and refuses a connection that skipped the choice.
private func serverNameTrampoline(ssl: OpaquePointer?, alert: UnsafeMutablePointer<Int32>?, arg: UnsafeMutableRawPointer?) -> Int32 {
    guard let ssl, let connection = OpenSSLConnection.owner(of: ssl), connection.siteSelected else {
        alert?.pointee = SSL_AD_INTERNAL_ERROR
        return SSL_TLSEXT_ERR_ALERT_FATAL
    }
    return SSL_TLSEXT_ERR_OK
}
