import Dispatch
import Foundation

/// What the runner reacts to while the proxy serves, one at a time, in order: signals
/// (SIGHUP reloads; SIGUSR1 reopens the access log; SIGINT and SIGTERM drain, a second
/// one cuts the drain short) and,
/// with `watch: true`, changes to the configuration's files.
enum RunnerEvent: Sendable, Equatable {
    case signal(Int32)
    case filesChanged
}

/// The runner's events as one async sequence.
///
/// The signals' default actions are replaced by dispatch sources, so a signal never kills
/// the process mid-write; the proxy stops or reloads through its one orderly path instead.
final class RunnerEvents: @unchecked Sendable {
    // @unchecked: `sources` is written once in init and only read (to cancel) in deinit.
    private var sources: [DispatchSourceSignal] = []
    private let stream: AsyncStream<RunnerEvent>
    let continuation: AsyncStream<RunnerEvent>.Continuation

    init(signals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGUSR1]) {
        let (stream, continuation) = AsyncStream.makeStream(of: RunnerEvent.self)
        self.stream = stream
        self.continuation = continuation
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(.signal(number)) }
            source.resume()
            sources.append(source)
        }
    }

    deinit {
        for source in sources { source.cancel() }
        continuation.finish()
    }

    /// The next event, or nil when the waiting task is cancelled. One waiter at a time.
    func next() async -> RunnerEvent? {
        var iterator = stream.makeAsyncIterator()
        return await iterator.next()
    }

    static func name(_ number: Int32) -> String {
        switch number {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        case SIGHUP: return "SIGHUP"
        case SIGUSR1: return "SIGUSR1"
        default: return "signal \(number)"
        }
    }
}
