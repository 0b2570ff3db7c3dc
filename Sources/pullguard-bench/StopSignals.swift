import Dispatch
import Foundation
import NIOConcurrencyHelpers

/// SIGINT and SIGTERM as a flag the runner polls once a second: the run then ends as if
/// `--duration` had passed, and the report covers what was measured.
final class StopSignals {
    private let flag = NIOLockedValueBox(false)
    private var sources: [DispatchSourceSignal] = []

    init() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [flag] in flag.withLockedValue { $0 = true } }
            source.resume()
            sources.append(source)
        }
    }

    deinit {
        sources.forEach { $0.cancel() }
    }

    var received: Bool { flag.withLockedValue { $0 } }
}
