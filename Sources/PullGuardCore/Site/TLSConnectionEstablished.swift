import NIOCore

/// Fired inbound by `TLSServerHandler` once the handshake completed and before any
/// application data, so handlers above TLS learn who is on the other end.
///
/// The proxy only ever sees this already-decided value: verification happened
/// inside the handshake.
public struct TLSConnectionEstablished: Sendable {
    /// The site whose context served the handshake (after SNI switching), as chosen
    /// by `SiteSelector`: the proxy reaches that site's settings and state by this
    /// identity, in the `SiteTable` both were built from.
    public var site: SiteID
    /// That site's name, for logs.
    public var siteName: String
    /// The SNI the client sent, lower-cased; `nil` without SNI.
    public var serverName: String?
    /// The negotiated ALPN protocol, if any.
    public var alpn: String?
    /// `TLSv1.2` or `TLSv1.3`.
    public var protocolVersion: String
    public var cipher: String
    /// True when the handshake resumed an earlier session.
    public var resumed: Bool
    public var verification: VerificationOutcome
    /// Why a session the client offered was not resumed (`other_site`, `lifetime_exceeded`, ...).
    public var sessionRefusal: String?

    public init(site: SiteID, siteName: String, serverName: String?, alpn: String?, protocolVersion: String,
                cipher: String, resumed: Bool, verification: VerificationOutcome, sessionRefusal: String? = nil) {
        self.site = site
        self.siteName = siteName
        self.serverName = serverName
        self.alpn = alpn
        self.protocolVersion = protocolVersion
        self.cipher = cipher
        self.resumed = resumed
        self.verification = verification
        self.sessionRefusal = sessionRefusal
    }
}
