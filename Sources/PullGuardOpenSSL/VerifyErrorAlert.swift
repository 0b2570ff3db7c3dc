internal import COpenSSL

/// The alert libssl sends when certificate verification fails with a given
/// `X509_V_ERR_*` code: OpenSSL 3.0's internal `ssl_x509err2alert` table, which is not
/// exported. Only `pullguard verify` needs it, to say offline what a live client would
/// see; the handshake itself lets libssl choose. The integration and in-memory tests
/// check the two agree over the verification matrix.
enum VerifyErrorAlert {
    static func alert(for code: Int32) -> TLSAlert {
        table[code] ?? .certificateUnknown
    }

    private static let table: [Int32: TLSAlert] = [
        X509_V_ERR_APPLICATION_VERIFICATION: .handshakeFailure,
        X509_V_ERR_CA_KEY_TOO_SMALL: .badCertificate,
        X509_V_ERR_EC_KEY_EXPLICIT_PARAMS: .badCertificate,
        X509_V_ERR_CA_MD_TOO_WEAK: .badCertificate,
        X509_V_ERR_CERT_CHAIN_TOO_LONG: .unknownCA,
        X509_V_ERR_CERT_HAS_EXPIRED: .certificateExpired,
        X509_V_ERR_CERT_NOT_YET_VALID: .badCertificate,
        X509_V_ERR_CERT_REJECTED: .badCertificate,
        X509_V_ERR_CERT_REVOKED: .certificateRevoked,
        X509_V_ERR_CERT_SIGNATURE_FAILURE: TLSAlert(code: 51),  // decrypt_error
        X509_V_ERR_CERT_UNTRUSTED: .badCertificate,
        X509_V_ERR_CRL_HAS_EXPIRED: .certificateExpired,
        X509_V_ERR_CRL_NOT_YET_VALID: .badCertificate,
        X509_V_ERR_CRL_SIGNATURE_FAILURE: TLSAlert(code: 51),
        X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT: .unknownCA,
        X509_V_ERR_EE_KEY_TOO_SMALL: .badCertificate,
        X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD: .badCertificate,
        X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD: .badCertificate,
        X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD: .badCertificate,
        X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD: .badCertificate,
        X509_V_ERR_INVALID_CA: .unknownCA,
        X509_V_ERR_INVALID_CALL: .internalError,
        X509_V_ERR_INVALID_PURPOSE: .unsupportedCertificate,
        X509_V_ERR_OUT_OF_MEM: .internalError,
        X509_V_ERR_PATH_LENGTH_EXCEEDED: .unknownCA,
        X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN: .unknownCA,
        X509_V_ERR_STORE_LOOKUP: .internalError,
        X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: .badCertificate,
        X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE: .badCertificate,
        X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE: .badCertificate,
        X509_V_ERR_UNABLE_TO_GET_CRL: .unknownCA,
        X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER: .unknownCA,
        X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT: .unknownCA,
        X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY: .unknownCA,
        X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: .unknownCA,
        X509_V_ERR_UNSPECIFIED: .internalError,
    ]
}
