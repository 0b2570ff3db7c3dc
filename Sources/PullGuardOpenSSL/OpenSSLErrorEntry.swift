internal import COpenSSL

/// One entry of OpenSSL's error queue: the library and reason as values, the alert
/// when libssl filed a received alert, and the text a person reads in a log line.
public struct OpenSSLErrorEntry: Sendable, Hashable, CustomStringConvertible {
    /// Which library and which of its reasons (`ERR_GET_LIB`, `ERR_GET_REASON`).
    public var reason: OpenSSLErrorReason
    /// The alert the peer sent, when this entry records one.
    public var alert: TLSAlert?
    /// OpenSSL's reason string alone (`certificate verify failed`), for names built from it.
    public var reasonText: String
    /// The whole line as OpenSSL formats it, with its extra data in parentheses:
    /// `error:05800074:x509 certificate routines::key values mismatch`.
    public var text: String

    public var description: String { text }

    /// An entry for this reason, formatted as OpenSSL would have queued it.
    public init(_ reason: OpenSSLErrorReason, data: String? = nil) {
        self.init(packedCode: reason.packedCode, data: data)
    }

    /// - Parameter packedCode: the code `ERR_get_error_all` returned.
    init(packedCode code: UInt, data: String?) {
        _ = Self.stringsLoaded
        reason = OpenSSLErrorReason(library: ERR_GET_LIB(code), code: ERR_GET_REASON(code))
        alert = reason.alert
        reasonText = ERR_reason_error_string(code).map { String(cString: $0) } ?? "reason(\(reason.code))"
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        var line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if let data { line += " (\(data))" }
        text = line
    }

    /// libssl registers its reason strings when it initializes; an entry made before any
    /// `SSL_CTX` exists (a test, an early config error) would otherwise read `reason(134)`.
    private static let stringsLoaded: Bool = {
        OPENSSL_init_ssl(UInt64(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS), nil) == 1
    }()
}

/// An OpenSSL error reason: a library (`ERR_LIB_SSL`, `ERR_LIB_X509`) and a reason code
/// within it. The reasons PullGuard decides on are named here, once.
public struct OpenSSLErrorReason: Sendable, Hashable {
    public var library: Int32
    public var code: Int32

    public init(library: Int32, code: Int32) {
        self.library = library
        self.code = code
    }

    /// libssl files an alert received from the peer as reason `SSL_AD_REASON_OFFSET` + alert number.
    public var alert: TLSAlert? {
        guard library == ERR_LIB_SSL, code >= SSL_AD_REASON_OFFSET, code < SSL_AD_REASON_OFFSET + 256 else { return nil }
        return TLSAlert(code: UInt8(code - SSL_AD_REASON_OFFSET))
    }

    /// The reason an alert from the peer is filed under.
    public static func alertReceived(_ alert: TLSAlert) -> OpenSSLErrorReason {
        OpenSSLErrorReason(library: ERR_LIB_SSL, code: SSL_AD_REASON_OFFSET + Int32(alert.code))
    }

    /// Packed as `ERR_PACK` does (library in the high bits, reason in the low ones).
    var packedCode: UInt {
        (UInt(UInt32(bitPattern: library)) & UInt(ERR_LIB_MASK)) << UInt(ERR_LIB_OFFSET)
            | (UInt(UInt32(bitPattern: code)) & UInt(ERR_REASON_MASK))
    }

    private static func ssl(_ code: Int32) -> OpenSSLErrorReason { OpenSSLErrorReason(library: ERR_LIB_SSL, code: code) }

    /// A `require` site got no certificate from the client.
    public static let peerDidNotReturnACertificate = ssl(SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
    /// Certificate verification (ours, or the client's of the server) refused the chain.
    public static let certificateVerifyFailed = ssl(SSL_R_CERTIFICATE_VERIFY_FAILED)
    /// No protocol version both sides enable.
    public static let unsupportedProtocol = ssl(SSL_R_UNSUPPORTED_PROTOCOL)
    public static let versionTooLow = ssl(SSL_R_VERSION_TOO_LOW)
    public static let noProtocolsAvailable = ssl(SSL_R_NO_PROTOCOLS_AVAILABLE)
    public static let noSharedCipher = ssl(SSL_R_NO_SHARED_CIPHER)
    public static let noSharedGroups = ssl(SSL_R_NO_SHARED_GROUPS)
    public static let noSuitableKeyShare = ssl(SSL_R_NO_SUITABLE_KEY_SHARE)
    public static let noSharedSignatureAlgorithms = ssl(SSL_R_NO_SHARED_SIGNATURE_ALGORITHMS)
    public static let noSuitableSignatureAlgorithm = ssl(SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM)
    /// The client offered ALPN protocols and none is ours.
    public static let noApplicationProtocol = ssl(SSL_R_NO_APPLICATION_PROTOCOL)
    /// The same certificate was added to an `X509_STORE` twice.
    public static let certificateAlreadyInHashTable = OpenSSLErrorReason(library: ERR_LIB_X509, code: X509_R_CERT_ALREADY_IN_HASH_TABLE)
}
