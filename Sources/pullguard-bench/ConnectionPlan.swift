import NIOCore
import PullGuardOpenSSL
import PullGuardTooling

/// What one connection was started with, fixed at its start.
struct ConnectionPlan {
    /// Started while recording: its results count (the warm-up's do not).
    let counted: Bool
    let start: NIODeadline
    /// Offered for resumption (resume mode).
    let session: OpenSSLClientSession?
}

/// How a connection ended, as its driver reports it to the worker.
enum ConnectionOutcome {
    case success(resumed: Bool, session: OpenSSLClientSession?)
    /// The server ended the keep-alive connection before the planned requests were done:
    /// `Connection: close` on a response, or a close between two requests before any byte
    /// of the next response (RFC 9112 §9.3.1: the request was not processed, and a client
    /// sends it again on a new connection, as the worker's next connection does). What was
    /// answered counts; this is not an error.
    case endedByServer(resumed: Bool)
    case failure(BenchErrorClass)
    /// Ended by the run stopping, not by the server: neither success nor error.
    case abandoned
}
