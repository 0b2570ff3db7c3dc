import Testing
@testable import PullGuardProxy

/// The empty-DATA flood limit as a value: found by `HTTP2ProbeTests.emptyDataFloodGetsEnhanceYourCalm`,
/// where one flooding connection was counted ten times in
/// `pullguard_http2_connections_ended_for_abuse_total` (every empty frame past the limit in
/// the same read asked for another termination).
@Suite struct HTTP2ConnectionStateMachineAbuseTests {
    @Test func emptyDataPastTheLimitTerminatesOnce() {
        var machine = HTTP2ConnectionStateMachine(maxEmptyDataFrames: 3)
        let actions = (0..<10).map { _ in machine.emptyData() }
        #expect(actions.filter { $0 == .terminateForAbuse }.count == 1)
        #expect(actions[3] == .terminateForAbuse)
        #expect(actions.prefix(3).allSatisfy { $0 == .none })
    }

    @Test func noStreamStartsAfterTheTermination() {
        var machine = HTTP2ConnectionStateMachine(maxEmptyDataFrames: 0)
        #expect(machine.request(stream: 1) == .startExchange(stream: 1))
        #expect(machine.emptyData() == .terminateForAbuse)
        // A request later in the same read as the flood.
        #expect(machine.request(stream: 3) == .none)
        #expect(machine.exchange(3) == nil)
    }

    @Test func emptyDataUpToTheLimitIsTolerated() {
        var machine = HTTP2ConnectionStateMachine(maxEmptyDataFrames: 5)
        for _ in 0..<5 { #expect(machine.emptyData() == .none) }
        #expect(machine.request(stream: 1) == .startExchange(stream: 1))
    }
}
