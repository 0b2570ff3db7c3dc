/// A configuration value together with the key path it was given at.
///
/// The YAML reader and the CLI flag builder both produce these, so the one
/// validator can name the right place (`sites[0].upstream` or `--upstream`) in
/// every message without knowing where the value came from.
struct ConfigField<Value> {
    var keyPath: String
    /// `nil` when the key is absent, or when its value was unusable and already reported.
    var value: Value?
    /// Set when the reader already reported this value, so the validator does not
    /// add a second, misleading "required" problem for it.
    var alreadyReported = false

    init(keyPath: String, value: Value? = nil, alreadyReported: Bool = false) {
        self.keyPath = keyPath
        self.value = value
        self.alreadyReported = alreadyReported
    }

    /// A child key path under this one (`sites[0]` + `name` → `sites[0].name`).
    func child(_ key: String) -> String { keyPath.isEmpty ? key : "\(keyPath).\(key)" }

    /// The key path of the `index`th element of a list value.
    func element(_ index: Int) -> String { "\(keyPath)[\(index)]" }
}
