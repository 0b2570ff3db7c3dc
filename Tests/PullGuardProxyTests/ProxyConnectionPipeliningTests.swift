import NIOCore
import NIOHTTP1
import Testing
@testable import PullGuardProxy

/// `ProxyConnectionStateMachine` alone as the connection: the pipelining queue, the
/// keep-alive and close decisions between exchanges, the idle close.
@Suite struct ProxyConnectionPipeliningTests {
    func ready() -> ProxyConnectionStateMachine {
        var machine = ProxyConnectionStateMachine()
        _ = machine.handshakeCompleted()
        return machine
    }

    func head(_ uri: String, keepAlive: Bool = true) -> HTTPServerRequestPart {
        var headers = HTTPHeaders([("Host", "a")])
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        return .head(HTTPRequestHead(version: .http1_1, method: .GET, uri: uri, headers: headers))
    }

    /// What the handler does with an input handed on in its turn.
    func feed(_ input: ProxyConnectionStateMachine.PipelinedInput,
                       to machine: inout ProxyConnectionStateMachine) -> ProxyConnectionStateMachine.Action {
        switch input {
        case .part(.head(let head)): return machine.requestHead(.init(head))
        case .part(.body): return machine.requestBodyPart()
        case .part(.end): return machine.requestEnd()
        case .malformed(let reason): return machine.malformedRequest(reason)
        }
    }

    func uri(_ input: ProxyConnectionStateMachine.PipelinedInput?) -> String? {
        guard case .part(.head(let head)) = input else { return nil }
        return head.uri
    }

    /// Serves the exchange in flight with a keep-alive response.
    func respond(_ machine: inout ProxyConnectionStateMachine) -> ProxyConnectionStateMachine.Action {
        _ = machine.upstreamConnected()
        _ = machine.responseHead(closeDelimited: false)
        return machine.responseEnd()
    }

    @Test func pipelinedRequestsAreQueuedAndServedInOrder() {
        var machine = ready()
        let queued1 = machine.queueIfWaiting(.part(head("/1")))
        #expect(!queued1, "nothing pending: handled now")
        #expect(machine.requestHead(keepAlive: true) == .startExchange)
        let queued2 = machine.queueIfWaiting(.part(.end(nil)))
        #expect(!queued2, "the request's own end is not pipelined")
        _ = machine.requestEnd()
        for part in [head("/2"), .end(nil), head("/3"), .end(nil)] {
            let queued3 = machine.queueIfWaiting(.part(part))
            #expect(queued3)
        }
        #expect(machine.pipelined.count == 4)
        #expect(machine.nextPipelined() == nil, "the first response is still pending")

        #expect(respond(&machine) == .exchange(.writeResponseEnd(upstream: .release, then: .keepAlive)))
        var served: [String] = []
        while let input = machine.nextPipelined() {
            if let uri = uri(input) { served.append(uri) }
            let action = feed(input, to: &machine)
            if uri(input) != nil { #expect(action == .startExchange) }
        }
        #expect(served == ["/2"], "/3 waits for /2's response")
        #expect(machine.pipelined.count == 2)
        let queued4 = machine.queueIfWaiting(.part(head("/4")))
        #expect(queued4, "behind queued input, even later reads wait")

        _ = respond(&machine)
        while let input = machine.nextPipelined() {
            if let uri = uri(input) { served.append(uri) }
            _ = feed(input, to: &machine)
        }
        #expect(served == ["/2", "/3"])
        _ = respond(&machine)
        while let input = machine.nextPipelined() {
            if let uri = uri(input) { served.append(uri) }
            _ = feed(input, to: &machine)
        }
        #expect(served == ["/2", "/3", "/4"])
        #expect(machine.pipelined.isEmpty)
    }

    @Test func malformedInputWaitsForTheResponsesBeforeIt() {
        var machine = ready()
        _ = machine.requestHead(keepAlive: true)
        _ = machine.requestEnd()
        let queued5 = machine.queueIfWaiting(.malformed("bad"))
        #expect(queued5)
        #expect(machine.nextPipelined() == nil)
        _ = respond(&machine)
        guard case .malformed(let reason) = machine.nextPipelined() else {
            Issue.record("the parse error is handed on after the response")
            return
        }
        #expect(machine.malformedRequest(reason) == .exchange(.respondWithFailure(.malformedRequest("bad"), then: .close)))
    }

    @Test func connectionCloseEndsTheConnectionAndDropsQueuedRequests() {
        var machine = ready()
        _ = machine.requestHead(.init(keepAlive: false))
        _ = machine.requestEnd()
        let queued6 = machine.queueIfWaiting(.part(head("/2")))
        #expect(queued6)
        _ = machine.upstreamConnected()
        #expect(machine.responseHead(closeDelimited: false) == .exchange(.writeResponseHead(closeConnection: true)))
        #expect(machine.responseEnd() == .exchange(.writeResponseEnd(upstream: .release, then: .close)))
        #expect(machine.state == .closed)
        #expect(machine.pipelined.isEmpty, "a closing connection serves no queued request")
        #expect(machine.nextPipelined() == nil)
        #expect(machine.requestHead(keepAlive: true) == .closeDownstream)
    }

    @Test func keepAliveReturnsToIdleWithTheHeaderClock() {
        var machine = ready()
        #expect(machine.clientClock == .header)
        _ = machine.requestHead(keepAlive: true)
        _ = machine.requestEnd()
        _ = respond(&machine)
        #expect(machine.state == .idle)
        #expect(machine.clientClock == .header)
    }

    @Test func idleConnectionClosesOnTheIdleClock() {
        var machine = ready()
        #expect(machine.idleTimedOut() == .closeDownstream)
        #expect(machine.state == .closed)
        #expect(machine.idleTimedOut() == .none, "closed once")
    }

    @Test func idleClockDoesNotCloseAnExchange() {
        var machine = ready()
        _ = machine.requestHead(keepAlive: true)
        #expect(machine.idleTimedOut() == .none)
        #expect(machine.headerTimedOut() == .none)
        #expect(machine.clientClock == .body)
    }
}
