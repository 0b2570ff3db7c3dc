import Foundation
internal import COpenSSL

/// Date conversion for ASN1_TIME fields.
enum CertificateTime {
    /// Whole seconds since 1970, rounded down; dates in the past and far
    /// future are fine (OpenSSL picks UTCTime or GeneralizedTime as RFC 5280 asks).
    static func timeT(_ date: Date) -> time_t {
        time_t(date.timeIntervalSince1970.rounded(.down))
    }

    /// Sets an ASN1_TIME owned by someone else.
    static func set(_ target: UnsafeMutablePointer<ASN1_TIME>, to date: Date, _ operation: String) throws {
        _ = try openSSLCall(operation) { ASN1_TIME_set(target, timeT(date)) }
    }
}
