/// A user event the composition root sends down a client connection's pipeline when the
/// connection is to end gracefully: its configuration generation was replaced by a reload,
/// or the process is shutting down.
///
/// The protocol handler decides what "gracefully" means: HTTP/1.1 closes an idle
/// connection at once and answers the request in flight with `Connection: close`;
/// HTTP/2 will send GOAWAY. What is still open after `drain_timeout` is closed by the
/// composition root, whatever the handler did.
public struct ConnectionDrain: Sendable, Equatable {
    public enum Reason: String, Sendable {
        /// A newer configuration generation serves new connections.
        case reload
        /// The process stops (SIGTERM, SIGINT).
        case shutdown
    }

    public var reason: Reason

    public init(reason: Reason) {
        self.reason = reason
    }
}
