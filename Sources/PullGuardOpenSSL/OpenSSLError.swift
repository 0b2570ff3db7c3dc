internal import COpenSSL

/// A failed OpenSSL call, with the library's error queue drained into values.
///
/// OpenSSL reports failures through a thread-local queue; reading it right where
/// the call failed (and clearing it before the call) is what keeps one
/// connection's error from being blamed on the next. Each entry keeps its library,
/// reason and (for a received alert) alert as values: code decides on those, never
/// on the text, which OpenSSL words differently from release to release.
public struct OpenSSLError: Error, CustomStringConvertible, Sendable, Hashable {
    /// What we were doing, in words a user understands ("loading private key /etc/x.key").
    public var operation: String
    /// The drained queue, oldest first.
    public var entries: [OpenSSLErrorEntry]

    public init(operation: String, entries: [OpenSSLErrorEntry] = []) {
        self.operation = operation
        self.entries = entries
    }

    /// The TLS alert the peer sent us, when the failure was one (`unknown_ca`, ...).
    public var receivedAlert: TLSAlert? {
        entries.last { $0.alert != nil }?.alert
    }

    /// True when any entry has this library and reason.
    public func contains(_ reason: OpenSSLErrorReason) -> Bool {
        entries.contains { $0.reason == reason }
    }

    public var description: String {
        entries.isEmpty ? operation : "\(operation): \(entries.map(\.text).joined(separator: "; "))"
    }

    /// Drains the calling thread's OpenSSL error queue into an error value.
    ///
    /// Each entry keeps the extra data string OpenSSL attaches to some errors
    /// (file names, OIDs, config values), because that is often the only part
    /// that says *which* input was wrong.
    static func drain(_ operation: String) -> OpenSSLError {
        var entries: [OpenSSLErrorEntry] = []
        while true {
            var data: UnsafePointer<CChar>? = nil
            var flags: Int32 = 0
            let code = ERR_get_error_all(nil, nil, nil, &data, &flags)
            if code == 0 { break }
            var extra: String?
            if flags & ERR_TXT_STRING != 0, let data, data.pointee != 0 { extra = String(cString: data) }
            entries.append(OpenSSLErrorEntry(packedCode: code, data: extra))
        }
        return OpenSSLError(operation: operation, entries: entries)
    }

    /// Clears stale entries so the next failure reads only its own.
    static func clearQueue() {
        ERR_clear_error()
    }
}

/// Runs one OpenSSL call that signals success with a positive value (1, or a
/// length as `X509_sign` returns), after clearing the error queue, and throws
/// the drained queue otherwise.
///
/// Not for code that runs inside a handshake callback: clearing the queue
/// there would erase what libssl is about to report.
@discardableResult
func openSSLCall(_ operation: String, _ body: () -> Int32) throws -> Int32 {
    OpenSSLError.clearQueue()
    let result = body()
    guard result > 0 else { throw OpenSSLError.drain(operation) }
    return result
}

/// Runs one OpenSSL call that returns an object, after clearing the error
/// queue, and throws the drained queue when it returns NULL.
func openSSLCall<T>(_ operation: String, _ body: () -> T?) throws -> T {
    OpenSSLError.clearQueue()
    guard let result = body() else { throw OpenSSLError.drain(operation) }
    return result
}

/// Lower-case hex of bytes.
func hexString<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    let digits: [Character] = Array("0123456789abcdef")
    var out = ""
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0f)])
    }
    return out
}
