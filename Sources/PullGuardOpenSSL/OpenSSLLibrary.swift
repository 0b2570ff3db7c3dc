internal import COpenSSL

/// Which OpenSSL the process runs with, for `pullguard --version`.
///
/// The run-time library, not the headers: a security update replaces `libssl.so.3`
/// under a binary built earlier, and that is the version an operator needs to see.
public enum OpenSSLLibrary {
    /// `OpenSSL_version(OPENSSL_VERSION)`, e.g. `OpenSSL 3.0.17 1 Jul 2025`.
    public static var runtimeVersion: String {
        guard let text = OpenSSL_version(Int32(OPENSSL_VERSION)) else { return "" }
        return String(cString: text)
    }

    /// `OpenSSL_version_num()`, e.g. `0x30000110` for 3.0.17 (0xMNN00PP0).
    public static var runtimeVersionNumber: UInt {
        UInt(OpenSSL_version_num())
    }
}
