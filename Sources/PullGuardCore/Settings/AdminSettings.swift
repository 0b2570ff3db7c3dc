/// The plain-HTTP admin listener (`admin:` in config; Envoy's `admin.address`, nginx's
/// `stub_status` location): metrics, health, readiness and the active configuration's summary.
public struct AdminSettings: Sendable, Hashable {
    /// Loopback only by default: the endpoints carry no secrets, but they are unauthenticated
    /// and describe the deployment, so exposing them is an explicit choice.
    public static let defaultListen = ListenAddress(host: "127.0.0.1", port: 9901)

    /// Where to listen; nil turns the admin listener off (`admin: off`).
    public var listen: ListenAddress?

    public init(listen: ListenAddress? = AdminSettings.defaultListen) {
        self.listen = listen
    }
}
