import PullGuardCore
import PullGuardHTTP2
import PullGuardOpenSSL

/// What `pullguard --version` prints: PullGuard's version and the OpenSSL and nghttp2
/// libraries loaded at run time (which a distribution's security update changes under an
/// unchanged binary), one per line.
public enum VersionReport {
    public static var text: String {
        lines(
            pullguard: PullGuardVersion.current,
            openSSL: OpenSSLLibrary.runtimeVersion, openSSLNumber: OpenSSLLibrary.runtimeVersionNumber,
            nghttp2: NGHTTP2Library.runtimeVersion
        ).joined(separator: "\n")
    }

    static func lines(pullguard: String, openSSL: String, openSSLNumber: UInt, nghttp2: String) -> [String] {
        let number = "0x" + String(openSSLNumber, radix: 16)
        return [
            "pullguard \(pullguard)",
            "\(openSSL.isEmpty ? "OpenSSL (unknown)" : openSSL) (\(number))",
            "nghttp2 \(nghttp2.isEmpty ? "(unknown)" : nghttp2)",
        ]
    }
}
