import NIOCore
import NIOHTTP1
import Testing
@testable import PullGuardProxy

/// `ProxyConnectionStateMachine` for upgrades, `Expect: 100-continue` and the client clocks.
@Suite struct ProxyUpgradeAndTimeoutMachineTests {
    func ready() -> ProxyConnectionStateMachine {
        var machine = ProxyConnectionStateMachine()
        _ = machine.handshakeCompleted()
        return machine
    }

    func head(_ headers: [(String, String)], version: HTTPVersion = .http1_1) -> ProxyConnectionStateMachine.RequestHead {
        ProxyConnectionStateMachine.RequestHead(HTTPRequestHead(version: version, method: .GET, uri: "/",
                                                                headers: HTTPHeaders(headers)))
    }

    @Test func requestHeadFeatures() {
        #expect(head([("Host", "a")]) == .init(keepAlive: true))
        #expect(head([("Expect", " 100-Continue ")]).expectsContinue)
        #expect(!head([("Expect", "100-continue")], version: .http1_0).expectsContinue, "HTTP/1.0 has no 100")
        #expect(head([("Connection", "keep-alive, Upgrade"), ("Upgrade", "WebSocket")]).upgrade == .websocket)
        #expect(head([("Connection", "Upgrade, HTTP2-Settings"), ("Upgrade", "h2c")]).upgrade == .other)
        // Without `Connection: upgrade` NIO's decoder does not treat it as an upgrade: a plain request.
        #expect(head([("Upgrade", "websocket")]).upgrade == .none)
        #expect(head([("Connection", "upgrade")]).upgrade == .none)
    }

    @Test func websocket101BecomesATunnel() {
        var machine = ready()
        #expect(machine.requestHead(head([("Connection", "Upgrade"), ("Upgrade", "websocket")])) == .startExchange)
        _ = machine.requestEnd()
        _ = machine.upstreamConnected()
        #expect(machine.responseHead(closeDelimited: false, switchingProtocols: true, upstreamKeepAlive: true) == .exchange(.startTunnel))
        #expect(machine.state == .tunnel)
        #expect(machine.clientClock == .none)
        #expect(machine.downstreamClosed() == .none)
    }

    /// A refused upgrade is an ordinary exchange: the client connection stays (the handler
    /// replaces NIO's stopped decoder afterwards); the upstream connection that saw the
    /// upgrade request is not reused.
    @Test func refusedUpgradeKeepsTheConnection() {
        var machine = ready()
        _ = machine.requestHead(head([("Connection", "Upgrade"), ("Upgrade", "websocket")]))
        _ = machine.requestEnd()
        _ = machine.upstreamConnected()
        #expect(machine.responseHead(closeDelimited: false, switchingProtocols: false, upstreamKeepAlive: true) == .exchange(.writeResponseHead(closeConnection: false)))
        #expect(machine.responseEnd() == .exchange(.writeResponseEnd(upstream: .close, then: .keepAlive)))
    }

    @Test func unrequested101Is502() {
        var machine = ready()
        _ = machine.requestHead(keepAlive: true)
        _ = machine.requestEnd()
        _ = machine.upstreamConnected()
        #expect(machine.responseHead(closeDelimited: false, switchingProtocols: true, upstreamKeepAlive: true)
                == .exchange(.respondWithFailure(.unexpectedSwitchingProtocols, then: .keepAlive)))
    }

    @Test func expectContinueIsAnsweredWhenTheUpstreamIsConnected() {
        var machine = ready()
        _ = machine.requestHead(head([("Expect", "100-continue")]))
        #expect(machine.upstreamConnected() == .exchange(.sendBufferedRequest(sendContinue: true)))
        #expect(machine.requestBodyPart() == .exchange(.writeRequestPart))
    }

    @Test func expectContinueAfterTheWholeBodyIsNotAnswered() {
        var machine = ready()
        _ = machine.requestHead(head([("Expect", "100-continue")]))
        _ = machine.requestEnd()
        #expect(machine.upstreamConnected() == .exchange(.sendBufferedRequest(sendContinue: false)))
    }

    /// The client may or may not send its body after a final answer: no drain, close.
    @Test func refusedExpectContinueCloses() {
        var machine = ready()
        _ = machine.requestHead(head([("Expect", "100-continue")]))
        #expect(machine.reject(.misdirected(otherSite: "b")) == .exchange(.respondWithFailure(.misdirected(otherSite: "b"), then: .close)))
    }

    @Test func clientClocks() {
        var machine = ready()
        #expect(machine.clientClock == .header)
        _ = machine.requestHead(keepAlive: true)
        #expect(machine.clientClock == .body)
        _ = machine.requestEnd()
        #expect(machine.clientClock == .none)
    }

    @Test func clockAfterARead() {
        var machine = ready()
        #expect(machine.clockAfterRead(deliveredParts: false, readsHeld: false, headerClockRunning: false) == .startHeader)
        #expect(machine.clockAfterRead(deliveredParts: false, readsHeld: false, headerClockRunning: true) == .none,
                "a head sent a byte at a time does not restart its clock")
        #expect(machine.clockAfterRead(deliveredParts: true, readsHeld: false, headerClockRunning: false) == .none,
                "a whole request answered at once leaves the connection idle")
        _ = machine.requestHead(keepAlive: true)
        #expect(machine.clockAfterRead(deliveredParts: true, readsHeld: false, headerClockRunning: false) == .restartBody)
        #expect(machine.clockAfterRead(deliveredParts: true, readsHeld: true, headerClockRunning: false) == .none,
                "PullGuard holding reads is not the client being slow")
        _ = machine.requestEnd()
        #expect(machine.clockAfterRead(deliveredParts: false, readsHeld: false, headerClockRunning: false) == .none)
    }

    @Test func headerTimeoutClosesSilently() {
        var machine = ready()
        #expect(machine.headerTimedOut() == .closeDownstream)
        #expect(machine.headerTimedOut() == .none)
    }

    @Test func bodyTimeoutBeforeTheResponseIs408AndClose() {
        var machine = ready()
        _ = machine.requestHead(keepAlive: true)
        _ = machine.upstreamConnected()
        #expect(machine.bodyTimedOut(.seconds(1)) == .exchange(.respondWithFailure(.requestBodyTimedOut(.seconds(1)), then: .close)))
        #expect(ProxyFailure.requestBodyTimedOut(.seconds(1)).status == .requestTimeout)
    }

    @Test func bodyTimeoutDuringTheResponseOnlyCloses() {
        var machine = ready()
        _ = machine.requestHead(keepAlive: true)
        _ = machine.upstreamConnected()
        _ = machine.responseHead(closeDelimited: false)
        #expect(machine.bodyTimedOut(.seconds(1)) == .closeDownstream)
    }

    @Test func bodyTimeoutAfterTheRequestIsIgnored() {
        var machine = ready()
        _ = machine.requestHead(keepAlive: true)
        _ = machine.requestEnd()
        #expect(machine.bodyTimedOut(.seconds(1)) == .none)
    }

    @Test func sendTimeoutAlwaysCloses() {
        var machine = ready()
        _ = machine.requestHead(keepAlive: true)
        #expect(machine.sendTimedOut() == .abortDownstream)
        #expect(machine.state == .closed)
    }
}

/// The per-site upstream cap as a value.
@Suite struct UpstreamLimitStateMachineTests {
    @Test func grantsUpToTheLimitThenQueuesInOrder() {
        var machine = UpstreamLimitStateMachine(limit: 2)
        let a1 = machine.acquire()
        let a2 = machine.acquire()
        #expect(a1 == .granted && a2 == .granted)
        guard case .wait(let first) = machine.acquire(), case .wait(let second) = machine.acquire() else {
            Issue.record("expected two waiters")
            return
        }
        #expect(machine.waiting == 2)
        let r1 = machine.release()
        #expect(r1 == first)
        let r2 = machine.release()
        #expect(r2 == second)
        #expect(machine.inUse == 2, "handed over, not freed")
        let r3 = machine.release()
        let r4 = machine.release()
        #expect(r3 == nil && r4 == nil)
        #expect(machine.inUse == 0)
    }

    @Test func newcomersDoNotOvertakeWaiters() {
        var machine = UpstreamLimitStateMachine(limit: 1)
        _ = machine.acquire()
        let waiter = machine.acquire()
        #expect(waiter != .granted)
        _ = machine.release()
        let newcomer = machine.acquire()
        #expect(newcomer != .granted, "a newcomer must queue behind the slot handed over")
    }

    @Test func cancelledWaiterIsSkipped() {
        var machine = UpstreamLimitStateMachine(limit: 1)
        _ = machine.acquire()
        guard case .wait(let first) = machine.acquire(), case .wait(let second) = machine.acquire() else {
            Issue.record("expected two waiters")
            return
        }
        let cancelled = machine.cancel(first)
        #expect(cancelled)
        let next = machine.release()
        #expect(next == second)
        let late = machine.cancel(second)
        #expect(!late, "already handed a slot: it must release it")
    }
}
