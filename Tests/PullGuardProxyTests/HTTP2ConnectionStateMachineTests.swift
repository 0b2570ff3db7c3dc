import NIOCore
import NIOHTTP1
import Testing
@testable import PullGuardProxy
import PullGuardHTTP2

/// `HTTP2ConnectionStateMachine`: streams as exchanges, floods, the two-step drain.
@Suite struct HTTP2ConnectionStateMachineTests {
    @Test func aStreamIsAnExchange() {
        var machine = HTTP2ConnectionStateMachine(maxEmptyDataFrames: 10)
        #expect(machine.request(stream: 1) == .startExchange(stream: 1))
        #expect(machine.requestEnd(stream: 1) == .exchange(stream: 1, .bufferRequestPart), "the upstream is not there yet")
        #expect(machine.upstreamConnected(stream: 1) == .exchange(stream: 1, .sendBufferedRequest(sendContinue: false)))
        #expect(machine.responseHead(stream: 1, upstreamKeepAlive: true) == .exchange(stream: 1, .writeResponseHead(closeConnection: false)))
        #expect(machine.responseEnd(stream: 1) == .exchange(stream: 1, .writeResponseEnd(upstream: .release, then: .keepAlive)))
        #expect(machine.streamClosed(stream: 1) == .none)
        #expect(machine.openStreams == 0)
    }

    /// A stream never forwards an upgrade: an upstream's 101 is refused like HTTP/1.1's
    /// unasked one.
    @Test func switchingProtocolsOnAStreamIs502() {
        var machine = HTTP2ConnectionStateMachine(maxEmptyDataFrames: 10)
        _ = machine.request(stream: 1)
        _ = machine.requestEnd(stream: 1)
        _ = machine.upstreamConnected(stream: 1)
        #expect(machine.responseHead(stream: 1, switchingProtocols: true, upstreamKeepAlive: true)
                == .exchange(stream: 1, .respondWithFailure(.unexpectedSwitchingProtocols, then: .keepAlive)))
    }

    @Test func streamsAreIndependent() {
        var machine = HTTP2ConnectionStateMachine(maxEmptyDataFrames: 10)
        _ = machine.request(stream: 1)
        _ = machine.request(stream: 3)
        _ = machine.upstreamConnected(stream: 3)
        // For a stream, `then:` only says the rest of its request body is dropped: the
        // connection goes on whatever it says.
        #expect(machine.upstreamFailed(stream: 1, .closedBeforeResponse)
                == .exchange(stream: 1, .respondWithFailure(.closedBeforeResponse, then: .close)))
        #expect(machine.exchange(3)?.upstream == .connected, "one stream's failure leaves the other alone")
    }

    @Test func aStreamClosedMidExchangeGivesItsUpstreamBack() {
        var machine = HTTP2ConnectionStateMachine(maxEmptyDataFrames: 10)
        _ = machine.request(stream: 1)
        _ = machine.upstreamConnected(stream: 1)
        #expect(machine.streamClosed(stream: 1) == .exchange(stream: 1, .abandonUpstream))
    }

    @Test func emptyDataFramesPastTheLimitEndTheConnection() {
        var machine = HTTP2ConnectionStateMachine(maxEmptyDataFrames: 2)
        #expect(machine.emptyData() == .none)
        #expect(machine.emptyData() == .none)
        #expect(machine.emptyData() == .terminateForAbuse)
    }

    @Test func drainAnnouncesThenLetsOpenStreamsFinish() {
        var machine = HTTP2ConnectionStateMachine(maxEmptyDataFrames: 10)
        _ = machine.request(stream: 1)
        #expect(machine.drain() == .goAwayNotice)
        #expect(machine.drain() == .none)
        #expect(machine.request(stream: 3) == .startExchange(stream: 3), "a request already on the wire still counts")
        #expect(machine.drainGraceOver() == .goAway)
        #expect(machine.request(stream: 5) == .refuse(stream: 5))
        #expect(machine.streamClosed(stream: 1) == .exchange(stream: 1, .abandonUpstream))
        #expect(machine.streamClosed(stream: 3) == .exchange(stream: 3, .abandonUpstream))
        #expect(machine.isDrained)
    }

    @Test func drainWithNothingOpenClosesAfterTheGrace() {
        var machine = HTTP2ConnectionStateMachine(maxEmptyDataFrames: 10)
        #expect(machine.drain() == .goAwayNotice)
        #expect(machine.drainGraceOver() == .close)
    }
}

/// `HTTP2RequestHead`: the header block as the HTTP/1.1 head the upstream gets.
@Suite struct HTTP2RequestHeadTests {
    func fields(_ pairs: [(String, String)]) -> [HTTP2HeaderField] {
        pairs.map { HTTP2HeaderField(name: $0.0, value: $0.1) }
    }

    @Test func pseudoHeadersBecomeTheRequestLineAndHost() throws {
        let outcome = HTTP2RequestHead.make(fields([
            (":method", "POST"), (":scheme", "https"), (":authority", "a.example"), (":path", "/x?y=1"),
            ("cookie", "a=1"), ("cookie", "b=2"), ("content-length", "3"),
        ]), hasBody: true)
        guard case .forward(let head) = outcome else { Issue.record("\(outcome)"); return }
        #expect(head.method == .POST)
        #expect(head.uri == "/x?y=1")
        #expect(head.version == .http1_1)
        #expect(head.headers["host"] == ["a.example"])
        #expect(head.headers["cookie"] == ["a=1; b=2"], "RFC 9113 §8.2.3")
        #expect(head.headers["transfer-encoding"].isEmpty, "the length is known")
    }

    @Test func aBodyWithoutLengthGoesUpstreamChunked() {
        guard case .forward(let head) = HTTP2RequestHead.make(fields([
            (":method", "PUT"), (":scheme", "https"), (":authority", "a.example"), (":path", "/"),
        ]), hasBody: true) else { Issue.record("not forwarded"); return }
        #expect(head.headers["transfer-encoding"] == ["chunked"])
    }

    @Test func fieldsAsLongAsTheNamesItReadsPassThroughUnchanged() throws {
        // Each length `make` dispatches on, with a name that is not the one it looks for.
        let others = [("x-ho", "4"), ("x-pat", "5"), ("accept", "6"), ("x-metho", "7"), ("x-protoco", "9"),
                      ("user-agent", "10"), ("content-langua", "14"), ("content-type", "12")]
        let outcome = HTTP2RequestHead.make(fields([
            (":method", "GET"), (":scheme", "https"), (":protocol", "websocket"), (":authority", "a.example"),
            (":path", "/"),
        ] + others), hasBody: false)
        guard case .forward(let head) = outcome else { Issue.record("\(outcome)"); return }
        let names = head.headers.map(\.name)
        #expect(names == others.map(\.0) + ["host"], ":scheme and :protocol are not HTTP/1.1 fields")
        #expect(head.headers.map(\.value) == others.map(\.1) + ["a.example"])
    }

    @Test func authorityAndHostMustAgree() {
        #expect(HTTP2RequestHead.make(fields([
            (":method", "GET"), (":scheme", "https"), (":authority", "a.example"), (":path", "/"), ("host", "b.example"),
        ]), hasBody: false) == .conflictingHost)
    }
}
