import Testing
@testable import PullGuardProxy

@Suite struct ProxyConnectionStateMachineTests {
    func ready() -> ProxyConnectionStateMachine {
        var machine = ProxyConnectionStateMachine()
        let r1 = machine.handshakeCompleted()
        #expect(r1 == .armIdleTimer)
        return machine
    }

    @Test func requestBeforeHandshakeClosed() {
        var machine = ProxyConnectionStateMachine()
        let r2 = machine.requestHead(keepAlive: true)
        #expect(r2 == .closeDownstream)
        let r3 = machine.requestEnd()
        #expect(r3 == .none)
    }

    @Test func keepAliveExchange() {
        var machine = ready()
        let r4 = machine.requestHead(keepAlive: true)
        #expect(r4 == .startExchange)
        let r5 = machine.requestEnd()
        #expect(r5 == .exchange(.bufferRequestPart))
        let r6 = machine.upstreamConnected()
        #expect(r6 == .exchange(.sendBufferedRequest(sendContinue: false)))
        let r7 = machine.responseHead(closeDelimited: false)
        #expect(r7 == .exchange(.writeResponseHead(closeConnection: false)))
        let r8 = machine.responseBodyPart()
        #expect(r8 == .exchange(.writeResponsePart))
        let r9 = machine.responseEnd()
        #expect(r9 == .exchange(.writeResponseEnd(upstream: .release, then: .keepAlive)))
        let r10 = machine.requestHead(keepAlive: false)
        #expect(r10 == .startExchange)
    }

    /// A request read between the end of a request and the end of its response is
    /// pipelined: it must wait (HTTPProxyHandler queues it).
    @Test func pipelinedRequestsWaitForTheResponse() {
        var machine = ready()
        #expect(!machine.awaitsResponseToCompleteRequest)
        _ = machine.requestHead(keepAlive: true)
        #expect(!machine.awaitsResponseToCompleteRequest, "the request body may still come")
        _ = machine.requestEnd()
        #expect(machine.awaitsResponseToCompleteRequest)
        _ = machine.upstreamConnected()
        _ = machine.responseHead(closeDelimited: false)
        #expect(machine.awaitsResponseToCompleteRequest)
        let end = machine.responseEnd()
        #expect(end == .exchange(.writeResponseEnd(upstream: .release, then: .keepAlive)))
        #expect(!machine.awaitsResponseToCompleteRequest)
    }

    @Test func malformedRequestBetweenRequestsGets400AndClose() {
        var machine = ready()
        #expect(machine.malformedRequest("bad") == .exchange(.respondWithFailure(.malformedRequest("bad"), then: .close)))
        #expect(machine.requestHead(keepAlive: true) == .closeDownstream)
    }

    @Test func malformedBodyBeforeTheResponseGets400() {
        var machine = ready()
        _ = machine.requestHead(keepAlive: true)
        _ = machine.upstreamConnected()
        #expect(machine.malformedRequest("bad chunk") == .exchange(.respondWithFailure(.malformedRequest("bad chunk"), then: .close)))
    }

    @Test func malformedInputDuringAResponseOnlyCloses() {
        var machine = ready()
        _ = machine.requestHead(keepAlive: true)
        _ = machine.upstreamConnected()
        _ = machine.responseHead(closeDelimited: false)
        #expect(machine.malformedRequest("bad chunk") == .closeDownstream)
    }

    @Test func bodyStreamsOnceConnected() {
        var machine = ready()
        _ = machine.requestHead(keepAlive: true)
        let r11 = machine.requestBodyPart()
        #expect(r11 == .exchange(.bufferRequestPart))
        _ = machine.upstreamConnected()
        let r12 = machine.requestBodyPart()
        #expect(r12 == .exchange(.writeRequestPart))
        let r13 = machine.requestEnd()
        #expect(r13 == .exchange(.writeRequestEnd))
    }

    @Test func clientCloseHonoured() {
        var machine = ready()
        _ = machine.requestHead(keepAlive: false)
        _ = machine.requestEnd()
        _ = machine.upstreamConnected()
        let r14 = machine.responseHead(closeDelimited: false)
        #expect(r14 == .exchange(.writeResponseHead(closeConnection: true)))
        let r15 = machine.responseEnd()
        #expect(r15 == .exchange(.writeResponseEnd(upstream: .release, then: .close)))
    }

    @Test func connectFailureAfterRequestEndKeepsConnection() {
        var machine = ready()
        _ = machine.requestHead(keepAlive: true)
        _ = machine.requestEnd()
        let r16 = machine.upstreamFailed(.connectRefused)
        #expect(r16 == .exchange(.respondWithFailure(.connectRefused, then: .keepAlive)))
        let r17 = machine.requestHead(keepAlive: true)
        #expect(r17 == .startExchange)
    }

    @Test func failureDuringBodyCloses() {
        var machine = ready()
        _ = machine.requestHead(keepAlive: true)
        _ = machine.upstreamConnected()
        _ = machine.requestBodyPart()
        let timeout = ProxyFailure.responseTimedOut(.seconds(1))
        let r18 = machine.upstreamFailed(timeout)
        #expect(r18 == .exchange(.respondWithFailure(timeout, then: .close)))
    }

    @Test func upstreamDeathMidResponseClosesClient() {
        var machine = ready()
        _ = machine.requestHead(keepAlive: true)
        _ = machine.requestEnd()
        _ = machine.upstreamConnected()
        _ = machine.responseHead(closeDelimited: false)
        let r19 = machine.upstreamFailed(.closedBeforeResponse)
        #expect(r19 == .closeDownstream)
    }

    @Test func earlyResponseClosesBothSides() {
        var machine = ready()
        _ = machine.requestHead(keepAlive: true)
        _ = machine.upstreamConnected()
        _ = machine.responseHead(closeDelimited: false)
        let r20 = machine.responseEnd()
        #expect(r20 == .exchange(.writeResponseEnd(upstream: .close, then: .close)))
    }

    @Test func misdirectedDrainsThenKeepsAlive() {
        var machine = ready()
        _ = machine.requestHead(keepAlive: true)
        let failure = ProxyFailure.misdirected(otherSite: "b")
        let r21 = machine.reject(failure)
        #expect(r21 == .exchange(.respondWithFailure(failure, then: .drainRequest)))
        let r22 = machine.requestBodyPart()
        #expect(r22 == .exchange(.dropRequestPart))
        let r23 = machine.requestEnd()
        #expect(r23 == .exchange(.completeExchange(then: .keepAlive)))
    }

    @Test func badHostCloses() {
        var machine = ready()
        _ = machine.requestHead(keepAlive: true)
        let r24 = machine.reject(.badHost)
        #expect(r24 == .exchange(.respondWithFailure(.badHost, then: .close)))
    }

    @Test func idleTimeoutOnlyWhenIdle() {
        var machine = ready()
        _ = machine.requestHead(keepAlive: true)
        let r25 = machine.idleTimedOut()
        #expect(r25 == .none)
        _ = machine.requestEnd()
        _ = machine.upstreamFailed(.connectRefused)
        let r26 = machine.idleTimedOut()
        #expect(r26 == .closeDownstream)
    }

    @Test func downstreamCloseAbandonsUpstream() {
        var machine = ready()
        _ = machine.requestHead(keepAlive: true)
        let r27 = machine.downstreamClosed()
        #expect(r27 == .exchange(.abandonUpstream))
        let r28 = machine.upstreamConnected()
        #expect(r28 == .exchange(.abandonUpstream))
    }
}

/// `ConnectionDrain`: a reload replaced the connection's configuration, or the process stops.
@Suite struct ProxyConnectionDrainTests {
    private func served() -> ProxyConnectionStateMachine {
        var machine = ProxyConnectionStateMachine()
        _ = machine.handshakeCompleted()
        _ = machine.requestHead(keepAlive: true)
        _ = machine.requestEnd()
        _ = machine.upstreamConnected()
        _ = machine.responseHead(closeDelimited: false)
        _ = machine.responseEnd()
        return machine
    }

    @Test func idleKeepAliveConnectionClosesAtOnce() {
        var machine = served()
        #expect(machine.drain(headInProgress: false) == .closeDownstream)
    }

    @Test func idleConnectionWithAHeadArrivingIsAnsweredWithClose() {
        var machine = served()
        #expect(machine.drain(headInProgress: true) == .none)
        _ = machine.requestHead(keepAlive: true)
        _ = machine.requestEnd()
        _ = machine.upstreamConnected()
        #expect(machine.responseHead(closeDelimited: false) == .exchange(.writeResponseHead(closeConnection: true)))
        #expect(machine.responseEnd() == .exchange(.writeResponseEnd(upstream: .release, then: .close)))
    }

    @Test func connectionBeforeItsFirstRequestServesOneRequest() {
        var machine = ProxyConnectionStateMachine()
        #expect(machine.drain(headInProgress: false) == .none, "during the handshake")
        _ = machine.handshakeCompleted()
        #expect(machine.drain(headInProgress: false) == .none, "its request is likely on the wire")
        _ = machine.requestHead(keepAlive: true)
        _ = machine.requestEnd()
        _ = machine.upstreamConnected()
        #expect(machine.responseHead(closeDelimited: false) == .exchange(.writeResponseHead(closeConnection: true)))
    }

    @Test func requestInFlightFinishesWithConnectionClose() {
        var machine = served()
        _ = machine.requestHead(keepAlive: true)
        #expect(machine.drain(headInProgress: false) == .none)
        _ = machine.requestEnd()
        _ = machine.upstreamConnected()
        #expect(machine.responseHead(closeDelimited: false) == .exchange(.writeResponseHead(closeConnection: true)))
        #expect(machine.responseEnd() == .exchange(.writeResponseEnd(upstream: .release, then: .close)))
    }

    @Test func responseAlreadyStartedEndsWithTheClose() {
        var machine = served()
        _ = machine.requestHead(keepAlive: true)
        _ = machine.requestEnd()
        _ = machine.upstreamConnected()
        #expect(machine.responseHead(closeDelimited: false) == .exchange(.writeResponseHead(closeConnection: false)))
        _ = machine.drain(headInProgress: false)
        #expect(machine.responseEnd() == .exchange(.writeResponseEnd(upstream: .release, then: .close)))
    }
}
