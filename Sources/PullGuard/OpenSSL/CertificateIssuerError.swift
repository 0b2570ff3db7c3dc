internal import COpenSSL

/// A failure of the built-in certificate generator, with the OpenSSL error queue
/// drained at the point of failure.
///
/// OpenSSL reports *why* a call failed only through its thread-local error
/// queue; reading it right where the call failed (and clearing it before each
/// call) keeps stale entries from an earlier, unrelated failure out of the
/// message a user sees.
public struct CertificateIssuerError: Error, CustomStringConvertible, Sendable, Hashable {
    /// What the generator was doing, in words (`"signing the certificate"`).
    public var operation: String
    /// The drained OpenSSL error queue, oldest first; empty for failures that
    /// were detected in Swift before calling OpenSSL.
    public var openSSLErrors: [String]

    public init(operation: String, openSSLErrors: [String] = []) {
        self.operation = operation
        self.openSSLErrors = openSSLErrors
    }

    public var description: String {
        if openSSLErrors.isEmpty {
            return "certificate generation failed while \(operation)"
        }
        return "certificate generation failed while \(operation): \(openSSLErrors.joined(separator: "; "))"
    }

    /// Builds an error from the current OpenSSL error queue and empties it.
    static func drainingQueue(_ operation: String) -> CertificateIssuerError {
        CertificateIssuerError(operation: operation, openSSLErrors: drainQueue())
    }

    /// Empties the thread's OpenSSL error queue into readable lines, keeping
    /// the extra data string (file names, OIDs) OpenSSL attaches to some errors.
    static func drainQueue() -> [String] {
        var lines: [String] = []
        while true {
            var data: UnsafePointer<CChar>? = nil
            var flags: Int32 = 0
            let code = ERR_get_error_all(nil, nil, nil, &data, &flags)
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            var line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if flags & ERR_TXT_STRING != 0, let data, data.pointee != 0 {
                line += " (\(String(cString: data)))"
            }
            lines.append(line)
        }
        return lines
    }
}

/// Runs one OpenSSL call that signals success with 1 (or any positive value),
/// after clearing the error queue, and throws the drained queue otherwise.
@discardableResult
func certificateCall(_ operation: String, _ body: () -> Int32) throws -> Int32 {
    ERR_clear_error()
    let result = body()
    guard result > 0 else { throw CertificateIssuerError.drainingQueue(operation) }
    return result
}

/// Runs one OpenSSL call that returns a new object, after clearing the error
/// queue, and throws the drained queue when it returns NULL.
func certificateCall<T>(_ operation: String, _ body: () -> T?) throws -> T {
    ERR_clear_error()
    guard let result = body() else { throw CertificateIssuerError.drainingQueue(operation) }
    return result
}
