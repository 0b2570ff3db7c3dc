import Dispatch
import NIOCore
import NIOPosix
import PullGuardTooling

/// Runs the load: one `BenchWorker` per event loop, progress once a second on
/// stderr, CPU samples at the start and end of the measured period, and the
/// merged report. Runs on the main thread, which only waits and samples.
struct BenchRunner {
    let options: BenchOptions
    let setup: BenchSetup

    func run() -> BenchReport {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: options.threads)
        defer { try? group.syncShutdownGracefully() }
        let workers = makeWorkers(group: group)
        let recordingNow = options.warmupSeconds == 0
        for worker in workers {
            worker.loop.execute { worker.start(recording: recordingNow) }
        }
        let allDone = DispatchSemaphore(value: 0)
        EventLoopFuture.andAllSucceed(workers.map(\.finishedFuture), on: group.next()).whenComplete { _ in allDone.signal() }

        if !recordingNow {
            Progress.note("warming up for \(BenchReport.fixed(options.warmupSeconds, 1)) s")
            // The warm-up may end early (--connections counts only after it): then nothing is measured.
            _ = allDone.wait(timeout: .now() + .nanoseconds(Int(options.warmupSeconds * 1_000_000_000)))
            for worker in workers { try? worker.loop.submit { worker.startRecording() }.wait() }
        }
        // SIGINT/SIGTERM end the measured period early, like reaching --duration: what was
        // measured is reported (a script can run load for exactly as long as it needs).
        let interrupted = StopSignals()
        let targetStart = sampleTargets()
        let ownStart = ProcessCPU.ownSeconds()
        let measureStart = DispatchTime.now()
        var progress = Progress(start: measureStart)
        var end = measureStart
        var second = 1
        while true {
            let tick = measureStart + .seconds(second)
            let wakeUp: DispatchTime
            var deadline: DispatchTime?
            if case .duration(let seconds) = options.stop {
                let stopAt = measureStart + .nanoseconds(Int(seconds * 1_000_000_000))
                deadline = stopAt
                wakeUp = min(tick, stopAt)
            } else {
                wakeUp = tick
            }
            if allDone.wait(timeout: wakeUp) == .success {
                end = DispatchTime.now()
                break
            }
            if interrupted.received || (deadline.map { DispatchTime.now() >= $0 } ?? false) {
                end = DispatchTime.now()
                for worker in workers { worker.loop.execute { worker.stop() } }
                // In-flight connections end within --timeout; their results are not counted.
                _ = allDone.wait(timeout: .now() + .nanoseconds(Int((options.timeoutSeconds + 1) * 1_000_000_000)))
                break
            }
            progress.tick(collect(workers, \.stats.counters))
            second += 1
        }
        let targetCPU = options.targetPIDs.isEmpty ? nil
            : sampleTargets().map { endTime in targetStart.map { endTime - $0 } } ?? nil
        let ownCPU = ProcessCPU.ownSeconds() - ownStart
        var total = LoopStats()
        for stats in collect(workers, \.stats) { total.merge(stats) }
        return BenchReport(
            mode: options.mode, tls: options.tlsLabel, concurrency: options.concurrency, threads: options.threads,
            durationSeconds: Double(end.uptimeNanoseconds - measureStart.uptimeNanoseconds) / 1_000_000_000,
            connectionsOK: total.connectionsOK, connectionsFailed: total.connectionsFailed, requestsOK: total.requestsOK,
            connectionsResumed: total.connectionsResumed, connectionsEndedByServer: total.connectionsEndedByServer,
            latencyMs: total.latency(),
            errors: Dictionary(uniqueKeysWithValues: total.errors.map { ($0.key.name, $0.value) }),
            targetCPUSeconds: targetCPU?.totalSeconds, benchCPUSeconds: ownCPU,
            targetKernelCPUSeconds: targetCPU?.kernelSeconds, http: options.http.rawValue, streams: options.streams)
    }

    /// Splits the concurrency (and a `--connections` count) evenly over the loops.
    private func makeWorkers(group: MultiThreadedEventLoopGroup) -> [BenchWorker] {
        var workers: [BenchWorker] = []
        var loops = group.makeIterator()
        for index in 0..<options.threads {
            guard let loop = loops.next() else { break }
            let slots = Self.share(of: options.concurrency, index: index, parts: options.threads)
            var quota: Int?
            if case .connections(let count) = options.stop {
                quota = Self.share(of: count, index: index, parts: options.threads)
            }
            do {
                workers.append(try BenchWorker(loop: loop, options: options, settings: setup.settings,
                                               address: setup.address, slots: slots, quota: quota))
            } catch {
                BenchCommand.failUsage("creating the TLS context: \(error)")
            }
        }
        return workers
    }

    static func share(of total: Int, index: Int, parts: Int) -> Int {
        total / parts + (index < total % parts ? 1 : 0)
    }

    /// Reads one value from every worker on its own loop.
    private func collect<T: Sendable>(_ workers: [BenchWorker], _ path: KeyPath<BenchWorker, T> & Sendable) -> [T] {
        workers.compactMap { worker in try? worker.loop.submit { worker[keyPath: path] }.wait() }
    }

    /// Summed CPU time of the target processes; nil when one has exited.
    private func sampleTargets() -> ProcessCPUTime? {
        var total = ProcessCPUTime.zero
        for target in setup.targets {
            guard let time = target.time() else { return nil }
            total = total + time
        }
        return total
    }
}
