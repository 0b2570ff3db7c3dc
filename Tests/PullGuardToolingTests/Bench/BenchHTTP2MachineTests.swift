import Testing
@testable import PullGuardTooling

/// One `--http 2` connection's stream bookkeeping, without sockets or nghttp2: refills up
/// to `--streams`, stops at `--requests-per-connection`, and how GOAWAY, RST_STREAM, a bad
/// status and an early close end the connection.
@Suite struct BenchHTTP2MachineTests {
    /// Submits what `action` asks for as the next odd stream ids (as nghttp2 allocates them).
    func submit(_ action: BenchHTTP2Machine.Action, into machine: inout BenchHTTP2Machine, next: inout Int32) -> [Int32] {
        guard case .submit(let count) = action else { return [] }
        var ids: [Int32] = []
        for _ in 0..<count {
            machine.submitted(streamID: next, at: 1_000)
            ids.append(next)
            next += 2
        }
        return ids
    }

    func answer(_ id: Int32, status: Int = 200, in machine: inout BenchHTTP2Machine) -> (latency: UInt64?, action: BenchHTTP2Machine.Action) {
        machine.status(streamID: id, code: status)
        return machine.streamClosed(streamID: id, errorCode: 0, at: 1_500)
    }

    @Test func keepsStreamsInFlightUntilTheLastRequestThenCompletes() {
        var machine = BenchHTTP2Machine(streams: 3, requests: 7, expectStatus: 200)
        var next: Int32 = 1
        var open = submit(machine.start(), into: &machine, next: &next)
        #expect(open == [1, 3, 5])
        var finished: BenchHTTP2Machine.Action?
        var latencies: [UInt64] = []
        while !open.isEmpty {
            let id = open.removeFirst()
            let (latency, action) = answer(id, in: &machine)
            if let latency { latencies.append(latency) }
            if case .finish = action { finished = action }
            open += submit(action, into: &machine, next: &next)
            #expect(machine.inFlight <= 3)
        }
        #expect(machine.submitted == 7)
        #expect(machine.completed == 7)
        #expect(latencies == Array(repeating: 500, count: 7))
        #expect(finished == .finish(.completed))
    }

    @Test func aStatusOtherThanExpectedFailsTheConnection() {
        var machine = BenchHTTP2Machine(streams: 2, requests: 10, expectStatus: 200)
        var next: Int32 = 1
        _ = submit(machine.start(), into: &machine, next: &next)
        let (latency, action) = answer(1, status: 503, in: &machine)
        #expect(latency == nil)
        #expect(action == .finish(.failed(.httpStatus(503))))
        #expect(machine.finished)
        // Later events of the same connection change nothing.
        #expect(answer(3, in: &machine).action == .none)
    }

    @Test func aStreamClosedWithoutStatusIsAFailure() {
        var machine = BenchHTTP2Machine(streams: 1, requests: 2, expectStatus: 200)
        var next: Int32 = 1
        _ = submit(machine.start(), into: &machine, next: &next)
        #expect(machine.streamClosed(streamID: 1, errorCode: 0, at: 2).action == .finish(.failed(.h2(reason: "no_response_status"))))
    }

    @Test func rstStreamOnAProcessedStreamFailsWithItsCode() {
        var machine = BenchHTTP2Machine(streams: 2, requests: 10, expectStatus: 200)
        var next: Int32 = 1
        _ = submit(machine.start(), into: &machine, next: &next)
        #expect(machine.reset(streamID: 3, errorCode: 2) == .finish(.failed(.h2Reset(2))))
        #expect(BenchErrorClass.h2Reset(2).name == "h2_rst:internal_error")
        #expect(BenchErrorClass.h2Reset(0xff).name == "h2_rst:0xff")
    }

    /// nghttp2 resets a stream whose response is malformed: no RST_STREAM came from the server.
    @Test func aStreamClosedWithAnErrorButNoResetIsAStreamError() {
        var machine = BenchHTTP2Machine(streams: 2, requests: 10, expectStatus: 200)
        var next: Int32 = 1
        _ = submit(machine.start(), into: &machine, next: &next)
        #expect(machine.streamClosed(streamID: 1, errorCode: 1, at: 2).action == .finish(.failed(.h2StreamError(1))))
        #expect(BenchErrorClass.h2StreamError(1).name == "h2_stream_error:protocol_error")
    }

    @Test func goAwayLeavesUnprocessedStreamsUncountedAndEndsByServer() {
        var machine = BenchHTTP2Machine(streams: 4, requests: 100, expectStatus: 200)
        var next: Int32 = 1
        _ = submit(machine.start(), into: &machine, next: &next)   // 1, 3, 5, 7
        #expect(answer(1, in: &machine).action == .submit(1))
        _ = submit(.submit(1), into: &machine, next: &next)        // 9
        // The server processed up to stream 5: 7 and 9 were never seen by it.
        #expect(machine.goAway(lastStreamID: 5, errorCode: 0) == .none)
        #expect(machine.inFlight == 2)
        // nghttp2 then closes 7 and 9 as REFUSED_STREAM: not failures.
        #expect(machine.streamClosed(streamID: 7, errorCode: 7, at: 2).action == .none)
        #expect(machine.reset(streamID: 9, errorCode: 7) == .none)
        #expect(answer(3, in: &machine).action == .none)
        #expect(answer(5, in: &machine).action == .finish(.endedByServer))
        #expect(machine.completed == 3)
    }

    @Test func goAwayWithAnErrorCodeIsAFailure() {
        var machine = BenchHTTP2Machine(streams: 2, requests: 4, expectStatus: 200)
        var next: Int32 = 1
        _ = submit(machine.start(), into: &machine, next: &next)
        #expect(machine.goAway(lastStreamID: 1, errorCode: 1) == .finish(.failed(.h2GoAway(1))))
        #expect(BenchErrorClass.h2GoAway(1).name == "h2_goaway:protocol_error")
    }

    @Test func closeAfterGoAwayWithNothingOpenEndsByServer() {
        var machine = BenchHTTP2Machine(streams: 2, requests: 10, expectStatus: 200)
        var next: Int32 = 1
        _ = submit(machine.start(), into: &machine, next: &next)
        #expect(machine.goAway(lastStreamID: 0, errorCode: 0) == .finish(.endedByServer))
    }

    @Test func closeWithStreamsOpenIsAFailure() {
        var machine = BenchHTTP2Machine(streams: 2, requests: 10, expectStatus: 200)
        var next: Int32 = 1
        _ = submit(machine.start(), into: &machine, next: &next)
        #expect(machine.connectionClosed() == .finish(.failed(.tls(reason: "closed_before_response"))))
    }

    @Test func closeAfterGoAwayWhileProcessedStreamsAreOpenIsAFailure() {
        var machine = BenchHTTP2Machine(streams: 2, requests: 10, expectStatus: 200)
        var next: Int32 = 1
        _ = submit(machine.start(), into: &machine, next: &next)
        #expect(machine.goAway(lastStreamID: 3, errorCode: 0) == .none)
        #expect(machine.connectionClosed() == .finish(.failed(.tls(reason: "closed_before_response"))))
    }

    @Test func aRequestNotSentFailsUnlessAGoAwayExplainsIt() {
        var machine = BenchHTTP2Machine(streams: 2, requests: 10, expectStatus: 200)
        var next: Int32 = 1
        _ = submit(machine.start(), into: &machine, next: &next)
        #expect(machine.notSent(streamID: 3) == .finish(.failed(.h2(reason: "request_not_sent"))))

        var drained = BenchHTTP2Machine(streams: 2, requests: 10, expectStatus: 200)
        next = 1
        _ = submit(drained.start(), into: &drained, next: &next)
        #expect(drained.goAway(lastStreamID: 3, errorCode: 0) == .none)
        #expect(drained.notSent(streamID: 3) == .none)
        #expect(answer(1, in: &drained).action == .finish(.endedByServer))
    }

    @Test func alpnErrorClassNamesWhatTheServerSelected() {
        #expect(BenchErrorClass.h2NotNegotiated(selected: "http/1.1").name == "h2_alpn:http/1.1")
        #expect(BenchErrorClass.h2NotNegotiated(selected: nil).name == "h2_alpn:none")
    }
}
