import NIOCore
import Testing
@testable import PullGuardProxy

/// `ProxyExchangeStateMachine` alone: one request and its response, with no
/// connection around it (as an HTTP/2 stream would drive it).
@Suite struct ProxyExchangeStateMachineTests {
    typealias Exchange = ProxyExchangeStateMachine

    func exchange(keepAlive: Bool = true, expectsContinue: Bool = false,
                  upgrade: Exchange.Upgrade = .none) -> Exchange {
        Exchange(.init(keepAlive: keepAlive, expectsContinue: expectsContinue, upgrade: upgrade))
    }

    @Test func fullExchangeWithABody() {
        var exchange = exchange()
        #expect(exchange.requestBodyPart() == .bufferRequestPart, "parts wait while the upstream connects")
        #expect(exchange.upstreamConnected() == .sendBufferedRequest(sendContinue: false))
        #expect(exchange.requestBodyPart() == .writeRequestPart)
        #expect(!exchange.awaitsResponseToCompleteRequest)
        #expect(exchange.requestEnd() == .writeRequestEnd, "the end starts the upstream_response clock")
        #expect(exchange.awaitsResponseToCompleteRequest)
        #expect(exchange.responseHead(closeDelimited: false, switchingProtocols: false, upstreamKeepAlive: true) == .writeResponseHead(closeConnection: false))
        #expect(exchange.responseBodyPart() == .writeResponsePart)
        let end = exchange.responseEnd()
        #expect(end == .writeResponseEnd(upstream: .release, then: .keepAlive))
        #expect(end.ending == .keepAlive)
        #expect(!exchange.awaitsResponseToCompleteRequest)
        #expect(exchange.responseEnd() == .none, "a response ends once")
    }

    @Test func upstreamThatWillNotBeReusedIsClosed() {
        var exchange = exchange(keepAlive: false)
        _ = exchange.requestEnd()
        _ = exchange.upstreamConnected()
        #expect(exchange.responseHead(closeDelimited: false, switchingProtocols: false, upstreamKeepAlive: false) == .writeResponseHead(closeConnection: true))
        #expect(exchange.responseEnd() == .writeResponseEnd(upstream: .close, then: .close))
    }

    @Test func closeDelimitedResponseEndsTheConnection() {
        var exchange = exchange()
        _ = exchange.requestEnd()
        _ = exchange.upstreamConnected()
        #expect(exchange.responseHead(closeDelimited: true, switchingProtocols: false, upstreamKeepAlive: true) == .writeResponseHead(closeConnection: true))
        #expect(exchange.responseEnd() == .writeResponseEnd(upstream: .release, then: .close))
    }

    @Test func refusalWithAFramedBodyDrainsIt() {
        var exchange = exchange()
        let failure = ProxyFailure.misdirected(otherSite: "b")
        let refused = exchange.reject(failure)
        #expect(refused == .respondWithFailure(failure, then: .drainRequest))
        #expect(refused.ending == nil, "the exchange ends with its request")
        #expect(exchange.requestBodyPart() == .dropRequestPart)
        #expect(exchange.upstreamConnected() == .abandonUpstream, "no upstream is wanted any more")
        let end = exchange.requestEnd()
        #expect(end == .completeExchange(then: .keepAlive))
        #expect(end.ending == .keepAlive)
    }

    @Test func refusalOfAWholeRequestKeepsTheConnection() {
        var exchange = exchange()
        _ = exchange.requestEnd()
        #expect(exchange.reject(.badHost) == .respondWithFailure(.badHost, then: .keepAlive))
    }

    @Test func refusalThatCannotDrainCloses() {
        var exchange = exchange()
        let refused = exchange.reject(.badHost)
        #expect(refused == .respondWithFailure(.badHost, then: .close))
        #expect(refused.ending == .close)
    }

    @Test func connectFailureIs502() {
        var exchange = exchange()
        _ = exchange.requestEnd()
        let action = exchange.upstreamFailed(.connectRefused)
        #expect(action == .respondWithFailure(.connectRefused, then: .keepAlive))
        #expect(ProxyFailure.connectRefused.status.code == 502)
        #expect(exchange.upstreamFailed(.closedBeforeResponse) == .none, "answered once")
    }

    @Test func responseTimeoutIs504() {
        var exchange = exchange()
        _ = exchange.upstreamConnected()
        _ = exchange.requestEnd()
        let timeout = ProxyFailure.responseTimedOut(.seconds(3))
        #expect(exchange.upstreamFailed(timeout) == .respondWithFailure(timeout, then: .keepAlive))
        #expect(timeout.status.code == 504)
        #expect(exchange.responseHead(closeDelimited: false, switchingProtocols: false, upstreamKeepAlive: true) == .none,
                "a late head after the 504 is not relayed")
    }

    @Test func upstreamFailureDuringTheBodyCloses() {
        var exchange = exchange()
        _ = exchange.upstreamConnected()
        _ = exchange.requestBodyPart()
        #expect(exchange.upstreamFailed(.closedBeforeResponse) == .respondWithFailure(.closedBeforeResponse, then: .close))
    }

    @Test func upstreamFailureMidResponseOnlyCloses() {
        var exchange = exchange()
        _ = exchange.requestEnd()
        _ = exchange.upstreamConnected()
        _ = exchange.responseHead(closeDelimited: false, switchingProtocols: false, upstreamKeepAlive: true)
        let action = exchange.upstreamFailed(.closedBeforeResponse)
        #expect(action == .closeDownstream)
        #expect(action.ending == .close)
    }

    @Test func responseBeforeTheWholeRequestCloses() {
        var exchange = exchange()
        _ = exchange.upstreamConnected()
        _ = exchange.responseHead(closeDelimited: false, switchingProtocols: false, upstreamKeepAlive: true)
        #expect(exchange.responseEnd() == .writeResponseEnd(upstream: .close, then: .close))
    }

    @Test func clientBodyTimeoutBeforeTheResponseIs408() {
        var exchange = exchange()
        _ = exchange.upstreamConnected()
        _ = exchange.requestBodyPart()
        let action = exchange.bodyTimedOut(.seconds(2))
        #expect(action == .respondWithFailure(.requestBodyTimedOut(.seconds(2)), then: .close))
        #expect(ProxyFailure.requestBodyTimedOut(.seconds(2)).status.code == 408)
    }

    @Test func clientBodyTimeoutDuringTheResponseCloses() {
        var exchange = exchange()
        _ = exchange.upstreamConnected()
        _ = exchange.responseHead(closeDelimited: false, switchingProtocols: false, upstreamKeepAlive: true)
        #expect(exchange.bodyTimedOut(.seconds(2)) == .closeDownstream)
    }

    @Test func clientBodyTimeoutAfterTheRequestIsNothing() {
        var exchange = exchange()
        _ = exchange.requestEnd()
        #expect(exchange.bodyTimedOut(.seconds(2)) == .none)
    }

    @Test func expectContinueAnsweredOnceConnected() {
        var exchange = exchange(expectsContinue: true)
        #expect(exchange.upstreamConnected() == .sendBufferedRequest(sendContinue: true))
        #expect(!exchange.expectsContinue, "100 Continue is sent once")
        #expect(exchange.requestBodyPart() == .writeRequestPart)
    }

    @Test func expectContinueNotSentWhenTheBodyIsAlreadyHere() {
        var exchange = exchange(expectsContinue: true)
        _ = exchange.requestEnd()
        #expect(exchange.upstreamConnected() == .sendBufferedRequest(sendContinue: false))
    }

    @Test func refusalOfAnExpectingClientCloses() {
        var exchange = exchange(expectsContinue: true)
        let failure = ProxyFailure.misdirected(otherSite: "b")
        #expect(exchange.reject(failure) == .respondWithFailure(failure, then: .close),
                "the client may or may not send its body: the framing is unknown")
    }

    @Test func websocketUpgradeBecomesATunnel() {
        var exchange = exchange(upgrade: .websocket)
        _ = exchange.requestEnd()
        _ = exchange.upstreamConnected()
        let action = exchange.responseHead(closeDelimited: false, switchingProtocols: true, upstreamKeepAlive: true)
        #expect(action == .startTunnel)
        #expect(action.ending == .tunnel)
    }

    @Test func upstreamThatRefusedAWebSocketUpgradeIsNotReused() {
        var exchange = exchange(upgrade: .websocket)
        _ = exchange.requestEnd()
        _ = exchange.upstreamConnected()
        // A 426 with keep-alive: the upstream's parser may still expect the upgrade.
        _ = exchange.responseHead(closeDelimited: false, switchingProtocols: false, upstreamKeepAlive: true)
        #expect(exchange.responseEnd() == .writeResponseEnd(upstream: .close, then: .keepAlive))
    }

    @Test func switchingProtocolsNobodyAskedForIs502() {
        var exchange = exchange(upgrade: .other)
        _ = exchange.requestEnd()
        _ = exchange.upstreamConnected()
        #expect(exchange.responseHead(closeDelimited: false, switchingProtocols: true, upstreamKeepAlive: true)
                == .respondWithFailure(.unexpectedSwitchingProtocols, then: .keepAlive))
    }

    @Test func malformedBodyBeforeTheResponseIs400() {
        var exchange = exchange()
        _ = exchange.upstreamConnected()
        #expect(exchange.malformedRequest("bad chunk") == .respondWithFailure(.malformedRequest("bad chunk"), then: .close))
        #expect(exchange.upstreamFailed(.closedBeforeResponse) == .none)
    }
}

/// The wait for a slot under the site's cap (`limits.max_upstream_connections_per_site`).
@Suite struct ProxyExchangeSlotTests {
    func exchange() -> ProxyExchangeStateMachine { ProxyExchangeStateMachine(.init(keepAlive: true)) }

    @Test func slotGrantedLeasesAConnection() {
        var exchange = exchange()
        #expect(exchange.slotBusy() == .waitForSlot)
        #expect(exchange.requestBodyPart() == .bufferRequestPart, "parts wait with the exchange")
        #expect(exchange.upstreamConnected() == .abandonUpstream, "no connection before a slot")
        #expect(exchange.slotGranted() == .leaseConnection)
        #expect(exchange.upstreamConnected() == .sendBufferedRequest(sendContinue: false))
        #expect(exchange.slotWaitTimedOut(limit: 1, waited: .seconds(1)) == .none, "no longer waiting")
    }

    @Test func noSlotWithinTheWaitIs503() {
        var exchange = exchange()
        _ = exchange.slotBusy()
        _ = exchange.requestEnd()
        let busy = ProxyFailure.upstreamBusy(limit: 2, waited: .seconds(1))
        #expect(exchange.slotWaitTimedOut(limit: 2, waited: .seconds(1)) == .respondWithFailure(busy, then: .keepAlive))
        #expect(busy.status.code == 503)
        #expect(exchange.slotGranted() == .releaseSlot, "a late slot is given back")
    }

    @Test func slotForAnAnsweredExchangeIsGivenBack() {
        var exchange = exchange()
        _ = exchange.slotBusy()
        _ = exchange.reject(.badHost)
        #expect(exchange.slotGranted() == .releaseSlot)
    }

    @Test func slotForAClosedConnectionIsGivenBack() {
        var machine = ProxyConnectionStateMachine()
        _ = machine.handshakeCompleted()
        _ = machine.requestHead(keepAlive: true)
        #expect(machine.slotBusy() == .exchange(.waitForSlot))
        #expect(machine.downstreamClosed() == .exchange(.abandonUpstream))
        #expect(machine.slotGranted() == .exchange(.releaseSlot))
    }
}
