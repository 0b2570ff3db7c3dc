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
    case failure(BenchErrorClass)
    /// Ended by the run stopping, not by the server: neither success nor error.
    case abandoned
}
