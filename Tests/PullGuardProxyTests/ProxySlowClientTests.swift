import NIOCore
import PullGuardTestSupport
import Testing
@testable import PullGuardCore

/// Slow and silent clients against the in-process proxy over loopback (raw Python
/// clients), with short timeouts. Each of these held both connections forever before.
@Suite(.serialized) struct ProxySlowClientTests {
    /// A body that stops arriving after the upstream started its response (`/echo`
    /// streams its head at once): no 408 can follow a started response, so the
    /// connection closes after client_body, letting the upstream connection go.
    @Test func stalledBodyDuringTheResponseIsClosed() async throws {
        let harness = try await ProxyTestHarness.start(timeouts: ProxyTimeouts(clientBody: .milliseconds(300)))
        let seen = try RawClient.run(port: harness.port, """
            s.sendall(b"POST /echo HTTP/1.1\\r\\nHost: a.example\\r\\nContent-Length: 100\\r\\n\\r\\nabc")
            data, how = wait_closed(s, 5)
            report("response", data[:40])
            report("how", how)
            """)
        try await harness.shutdown()
        #expect(seen["how"] == "'closed'", "\(seen)")
        #expect(harness.metrics.snapshot()[.clientTimeouts] == 1)
    }

    /// Before any response: an actual 408.
    @Test func stalledBodyBeforeAnyResponseGets408() async throws {
        let harness = try await ProxyTestHarness.start(timeouts: ProxyTimeouts(clientBody: .milliseconds(300)))
        let seen = try RawClient.run(port: harness.port, """
            s.sendall(b"POST /plain HTTP/1.1\\r\\nHost: a.example\\r\\nContent-Length: 100\\r\\n\\r\\nabc")
            data, how = wait_closed(s, 5)
            report("response", data.split(b"\\r\\n")[0])
            report("how", how)
            """)
        try await harness.shutdown()
        #expect(seen["response"] == "b'HTTP/1.1 408 Request Timeout'", "\(seen)")
        #expect(seen["how"] == "'closed'")
    }

    /// Slowloris: a head sent one line at a time is closed after client_header.
    @Test func slowHeadIsClosed() async throws {
        let harness = try await ProxyTestHarness.start(timeouts: ProxyTimeouts(clientHeader: .milliseconds(500)))
        let seen = try RawClient.run(port: harness.port, """
            s.sendall(b"GET / HTTP/1.1\\r\\n")
            how = "open"
            for i in range(40):
                time.sleep(0.1)
                try:
                    s.sendall(b"X-Slow: 1\\r\\n")
                except OSError:
                    how = "closed"
                    break
            if how == "open":
                data, how = wait_closed(s, 1)
            report("how", how)
            """)
        try await harness.shutdown()
        #expect(seen["how"] == "'closed'", "\(seen)")
        #expect(harness.upstream.requests.isEmpty)
    }

    /// A client that sends a large upload to /echo and reads nothing: PullGuard stops
    /// reading the upstream (whose echo fills the client's buffers), the upload stalls,
    /// and client_send closes the connection instead of holding it (and its upstream) forever.
    @Test func clientThatNeverReadsIsClosedAfterClientSend() async throws {
        let harness = try await ProxyTestHarness.start(timeouts: ProxyTimeouts(clientBody: .seconds(30), clientSend: .milliseconds(500)))
        let seen = try RawClient.run(port: harness.port, """
            total = 256 << 20
            s.sendall(b"POST /echo HTTP/1.1\\r\\nHost: a.example\\r\\nContent-Length: %d\\r\\n\\r\\n" % total)
            s.settimeout(0.2)
            block = b"x" * 65536
            sent = 0
            how = "open"
            deadline = time.monotonic() + 8
            while time.monotonic() < deadline and sent < total:
                try:
                    sent += s.send(block)
                except socket.timeout:
                    continue
                except OSError:
                    how = "closed"
                    break
            # Not read even now: reading would let the proxy's pending writes out.
            report("sent_all", sent >= total)
            report("how", how)
            """)
        try await harness.shutdown()
        #expect(seen["how"] == "'closed'", "\(seen)")
        #expect(seen["sent_all"] == "False", "backpressure: the upload stalls when the echo is not read")
        #expect(harness.metrics.snapshot()[.clientTimeouts] == 1)
    }

    /// `Expect: 100-continue`: the client gets `100 Continue` before it sends the body,
    /// and the upstream does not see the expectation (PullGuard answered it).
    @Test func expectContinueIsAnswered() async throws {
        let harness = try await ProxyTestHarness.start()
        let seen = try RawClient.run(port: harness.port, """
            s.sendall(b"POST /echo HTTP/1.1\\r\\nHost: a.example\\r\\nContent-Length: 5\\r\\nExpect: 100-continue\\r\\n\\r\\n")
            data, how = read_until(s, b"\\r\\n\\r\\n")
            # The echo upstream may send its 200 head before the body: it can share the read.
            interim, blank, rest = data.partition(b"\\r\\n\\r\\n")
            report("interim", interim + blank)
            s.sendall(b"hello")
            data, how = read_until(s, b"hello")
            data = rest + data
            report("final", data.split(b"\\r\\n")[0])
            report("body", data.endswith(b"hello"))
            """)
        try await harness.shutdown()
        #expect(seen["interim"] == "b'HTTP/1.1 100 Continue\\r\\n\\r\\n'", "\(seen)")
        #expect(seen["final"] == "b'HTTP/1.1 200 OK'")
        #expect(seen["body"] == "True")
        #expect(harness.upstream.requests.first?.headers["expect"] == [])
    }

    /// A cap of one: a second request waits for the slot and gets it when the first ends.
    @Test func upstreamCapQueuesWithinTheWait() async throws {
        let harness = try await ProxyTestHarness.start(timeouts: ProxyTimeouts(upstreamConnect: .seconds(5)),
                                                       maxUpstreamConnectionsPerSite: 1)
        let seen = try RawClient.run(port: harness.port, """
            t = connect()
            s.sendall(b"GET /slow?ms=300 HTTP/1.1\\r\\nHost: a.example\\r\\n\\r\\n")
            time.sleep(0.05)
            t.sendall(b"GET /second HTTP/1.1\\r\\nHost: a.example\\r\\n\\r\\n")
            a, _ = read_until(s, b"HTTP/1.1\\n")
            b, _ = read_until(t, b"HTTP/1.1\\n")
            report("first", a.split(b"\\r\\n")[0])
            report("second", b.split(b"\\r\\n")[0])
            """)
        try await harness.shutdown()
        #expect(seen["first"] == "b'HTTP/1.1 200 OK'", "\(seen)")
        #expect(seen["second"] == "b'HTTP/1.1 200 OK'")
        #expect(harness.metrics.snapshot()[.upstreamLimitWaits] == 1)
        #expect(harness.upstream.requests.map(\.uri) == ["/slow?ms=300", "/second"])
    }

    /// A cap of one held by a slow request: the next one waits upstream_connect, then 503.
    @Test func upstreamCapGives503AfterTheWait() async throws {
        let harness = try await ProxyTestHarness.start(timeouts: ProxyTimeouts(upstreamConnect: .milliseconds(300)),
                                                       maxUpstreamConnectionsPerSite: 1)
        let seen = try RawClient.run(port: harness.port, """
            t = connect()
            s.sendall(b"GET /slow?ms=1500 HTTP/1.1\\r\\nHost: a.example\\r\\n\\r\\n")
            time.sleep(0.1)
            t.sendall(b"GET /second HTTP/1.1\\r\\nHost: a.example\\r\\n\\r\\n")
            b, _ = read_until(t, b"ms\\n")
            a, _ = read_until(s, b"HTTP/1.1\\n")
            report("second", b.split(b"\\r\\n")[0])
            report("first", a.split(b"\\r\\n")[0])
            """)
        try await harness.shutdown()
        #expect(seen["second"] == "b'HTTP/1.1 503 Service Unavailable'", "\(seen)")
        #expect(seen["first"] == "b'HTTP/1.1 200 OK'")
        #expect(harness.metrics.snapshot()[.upstreamLimitRejected] == 1)
        #expect(harness.upstream.requests.map(\.uri) == ["/slow?ms=1500"])
    }
}
