/// PullGuard's release version: the one place it is written.
///
/// `pullguard --version` prints it (with the OpenSSL and nghttp2 versions loaded at run
/// time), and the generated man page carries it through the command's discussion text, so
/// the binary and its manual cannot disagree.
public enum PullGuardVersion {
    /// Semantic version of this release.
    public static let current = "0.12.0"
}
