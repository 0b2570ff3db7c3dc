import Dispatch
import Foundation

/// SIGINT and SIGTERM as an async wait.
///
/// The default actions are replaced by dispatch sources, so a signal never kills
/// the process mid-write; the proxy shuts down through its one orderly path instead.
final class ShutdownSignals: @unchecked Sendable {
    // @unchecked: `sources` is written once in init and only read (to cancel) in deinit.
    private var sources: [DispatchSourceSignal] = []
    private let stream: AsyncStream<Int32>

    init(_ signals: [Int32] = [SIGINT, SIGTERM]) {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        self.stream = stream
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }

    /// The next signal, or nil when the waiting task is cancelled.
    func next() async -> Int32? {
        var iterator = stream.makeAsyncIterator()
        return await iterator.next()
    }

    static func name(_ number: Int32) -> String {
        switch number {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(number)"
        }
    }
}
