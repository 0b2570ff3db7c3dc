/// A failure of the built-in certificate generator, as its public API reports it.
///
/// A thin public face over `OpenSSLError`: the generator's internals throw
/// `OpenSSLError` like the rest of the wrapper (queue cleared before each call,
/// drained where it failed), and `CertificateIssuer`'s entry points translate
/// at the boundary with `CertificateIssuerError.translating`, so callers keep
/// catching one generator-specific type whose message says what was being built.
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

    /// The same failure, worded for the generator's callers.
    init(_ error: OpenSSLError) {
        self.init(operation: error.operation, openSSLErrors: error.entries.map(\.text))
    }

    public var description: String {
        if openSSLErrors.isEmpty {
            return "certificate generation failed while \(operation)"
        }
        return "certificate generation failed while \(operation): \(openSSLErrors.joined(separator: "; "))"
    }

    /// Runs one public generator operation, rethrowing any `OpenSSLError` as a
    /// `CertificateIssuerError` (other errors pass through unchanged).
    static func translating<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as OpenSSLError {
            throw CertificateIssuerError(error)
        }
    }
}
