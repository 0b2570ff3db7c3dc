/// Something valid in a configuration that is probably not what its author wants:
/// `pullguard check` prints it and still exits 0 (1 with `--strict`), as `nginx -t`
/// prints its warnings. A value, so every rule is tested in memory.
public struct ConfigWarning: Sendable, Hashable, CustomStringConvertible {
    /// Where it is: `sites[0].client_auth.trust`, or a flag such as `--client-ca`.
    public var keyPath: String
    /// What is wrong, in one sentence.
    public var message: String
    /// What to do about it, in one line.
    public var fix: String

    public init(keyPath: String, message: String, fix: String) {
        self.keyPath = keyPath
        self.message = message
        self.fix = fix
    }

    /// Two lines: `warning: <key path>: <message>` and an indented `fix: …`.
    public var description: String {
        "warning: \(keyPath.isEmpty ? "" : "\(keyPath): ")\(message)\n  fix: \(fix)"
    }
}
