#!/usr/bin/env python3
"""Frame-level HTTP/2 attacker probes for PullGuard's integration tests
(Tests/PullGuardIntegrationTests/HTTP2ProbeTests.swift).

usage: h2_probe.py PORT SNI CERT_PEM|- KEY_PEM|- PROBE [AUTHORITY [HOST]]   (- : no client certificate)

Connects over TLS with the client certificate, offering ALPN `h2` only (the server
certificate is not checked: the SNI may name any site), runs one named probe and prints
one JSON object with what came back:

  {"alpn": "h2", "goaway": code|null, "goaway_last_stream": n|null,
   "rst": {"1": code}, "status": {"1": 200}, "closed": true|false,
   "sent": frames sent in a flood, "send_failed": true when the server stopped taking them}

Requests go out through `h2.connection.H2Connection` with every outbound check off, or,
for what `h2` refuses to produce (bad preface, even stream id, CONTINUATION and empty DATA
floods), as raw `hyperframe` frames with an `hpack.Encoder`. What comes back is read frame
by frame here, not through `h2`'s client state machine: the point is what the server sent.

Exits 3 with `missing python module` when `h2` is not installed (scripts/install-deps.sh --test).
"""
import json
import socket
import ssl
import struct
import sys
import time

try:
    import h2.config
    import h2.connection
    import hpack
    from hyperframe.frame import (ContinuationFrame, DataFrame, HeadersFrame, PingFrame,
                                  RstStreamFrame, SettingsFrame)
except ImportError as error:  # pragma: no cover - reported to the Swift test
    sys.stderr.write(f"missing python module: {error.name}; run scripts/install-deps.sh --test\n")
    sys.exit(3)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
GOAWAY, RST_STREAM, HEADERS, CONTINUATION = 0x7, 0x3, 0x1, 0x9
END_STREAM, END_HEADERS, PADDED, PRIORITY = 0x1, 0x4, 0x8, 0x20


class Reader:
    """Reads the server's frames: GOAWAY, RST_STREAM, response :status, and the close."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""
        self.decoder = hpack.Decoder()
        self.decoder.max_allowed_table_size = 65536
        self.block = {}  # stream -> header block bytes awaiting CONTINUATION
        self.result = {"goaway": None, "goaway_last_stream": None, "rst": {}, "status": {}, "closed": False}

    def pump(self, seconds, until=lambda result: False):
        """Reads for up to `seconds`, or until the server closed, or `until(result)`."""
        deadline = time.monotonic() + seconds
        while not self.result["closed"] and not until(self.result):
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                return
            except (ssl.SSLError, OSError):
                self.result["closed"] = True
                return
            if not chunk:
                self.result["closed"] = True
                return
            self.buffer += chunk
            self.parse()

    def parse(self):
        while len(self.buffer) >= 9:
            length = int.from_bytes(self.buffer[0:3], "big")
            if len(self.buffer) < 9 + length:
                return
            kind, flags = self.buffer[3], self.buffer[4]
            stream = int.from_bytes(self.buffer[5:9], "big") & 0x7FFFFFFF
            payload = self.buffer[9:9 + length]
            self.buffer = self.buffer[9 + length:]
            if kind == GOAWAY:
                self.result["goaway_last_stream"] = int.from_bytes(payload[0:4], "big") & 0x7FFFFFFF
                self.result["goaway"] = int.from_bytes(payload[4:8], "big")
            elif kind == RST_STREAM:
                self.result["rst"][str(stream)] = int.from_bytes(payload[0:4], "big")
            elif kind == HEADERS:
                if flags & PADDED:
                    pad = payload[0]
                    payload = payload[1:len(payload) - pad]
                if flags & PRIORITY:
                    payload = payload[5:]
                self.block[stream] = payload
                if flags & END_HEADERS:
                    self.decode(stream)
            elif kind == CONTINUATION:
                self.block[stream] = self.block.get(stream, b"") + payload
                if flags & END_HEADERS:
                    self.decode(stream)

    def decode(self, stream):
        fields = self.decoder.decode(self.block.pop(stream), raw=True)
        for name, value in fields:
            if name == b":status" and str(stream) not in self.result["status"]:
                self.result["status"][str(stream)] = int(value)


def connect(port, sni, cert, key):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if cert != "-":
        context.load_cert_chain(cert, key)
    context.set_alpn_protocols(["h2"])
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # A small receive buffer, set before connecting (it sets the window scale): a client
    # that does not read fills it soon (PING flood).
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.settimeout(10)
    raw.connect(("127.0.0.1", port))
    return context.wrap_socket(raw, server_hostname=sni)


def client_connection():
    config = h2.config.H2Configuration(client_side=True, header_encoding=None, validate_outbound_headers=False,
                                       normalize_outbound_headers=False, validate_inbound_headers=False)
    connection = h2.connection.H2Connection(config=config)
    connection.initiate_connection()
    return connection


def request(authority, path=b"/", method=b"GET", extra=()):
    return [(b":method", method), (b":scheme", b"https"), (b":authority", authority), (b":path", path)] + list(extra)


def raw_preface():
    return PREFACE + SettingsFrame(0).serialize()


def send_one(sock, reader, headers, end_stream=True, body=None):
    """One request on stream 1 through h2 with its checks off; waits for the answer."""
    connection = client_connection()
    connection.send_headers(1, headers, end_stream=end_stream and body is None)
    if body is not None:
        connection.send_data(1, body, end_stream=end_stream)
    sock.sendall(connection.data_to_send())
    reader.pump(5, until=lambda r: "1" in r["status"] or "1" in r["rst"] or r["goaway"] is not None)


def flood(sock, frames, count, reader=None, per_write=100):
    """Sends `frames()` `count` times (`per_write` at a time), stopping when the server has
    closed or stops taking bytes for 5 s. Returns (sent, send_failed)."""
    sock.settimeout(5)
    sent = 0
    while sent < count:
        batch = b"".join(frames(sent + i) for i in range(min(per_write, count - sent)))
        try:
            sock.sendall(batch)
        except (OSError, ssl.SSLError, socket.timeout):
            return sent, True
        sent += min(per_write, count - sent)
        if reader is not None:
            reader.pump(0.001)
            if reader.result["closed"] or reader.result["goaway"] is not None:
                return sent, False
    return sent, False


def main():
    port, sni, cert, key, probe = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
    authority = (sys.argv[6] if len(sys.argv) > 6 else sni).encode()
    host = sys.argv[7].encode() if len(sys.argv) > 7 else None
    sock = connect(port, sni, cert, key)
    reader = Reader(sock)
    reader.result["alpn"] = sock.selected_alpn_protocol()
    encoder = hpack.Encoder()
    base = request(authority)

    if probe == "ok":
        send_one(sock, reader, base)
    elif probe == "bad-preface":
        sock.sendall(b"GET / HTTP/1.1\r\nHost: " + authority + b"\r\n\r\n" + b"\0" * 64)
        reader.pump(5)
    elif probe == "even-stream":
        frame = HeadersFrame(2, encoder.encode(base), flags=["END_HEADERS", "END_STREAM"])
        sock.sendall(raw_preface() + frame.serialize())
        reader.pump(5, until=lambda r: r["goaway"] is not None)
    elif probe == "uppercase-name":
        send_one(sock, reader, base + [(b"X-Upper", b"1")])
    elif probe == "crlf-value":
        send_one(sock, reader, base + [(b"x-injected", b"a\r\nx-client-verify: SUCCESS")])
    elif probe == "missing-path":
        send_one(sock, reader, [h for h in base if h[0] != b":path"])
    elif probe == "duplicate-path":
        send_one(sock, reader, base + [(b":path", b"/other")])
    elif probe == "connection-header":
        send_one(sock, reader, base + [(b"connection", b"keep-alive")])
    elif probe == "te-gzip":
        send_one(sock, reader, base + [(b"te", b"gzip")])
    elif probe == "te-trailers":
        send_one(sock, reader, base + [(b"te", b"trailers")])
    elif probe == "transfer-encoding":
        send_one(sock, reader, request(authority, method=b"POST") + [(b"transfer-encoding", b"chunked")],
                 body=b"5\r\nhello\r\n0\r\n\r\n")
    elif probe == "content-length-mismatch":
        headers = encoder.encode(request(authority, method=b"POST") + [(b"content-length", b"10")])
        sock.sendall(raw_preface() + HeadersFrame(1, headers, flags=["END_HEADERS"]).serialize()
                     + DataFrame(1, b"hello", flags=["END_STREAM"]).serialize())
        reader.pump(5, until=lambda r: "1" in r["status"] or "1" in r["rst"] or r["goaway"] is not None)
    elif probe == "oversized-headers":
        # 8 KiB of fields, in 1 KiB values: over a 4096-byte max_header_list_size, well
        # under nghttp2's own per-field limits.
        fields = [(f"x-big-{i}".encode(), b"v" * 1024) for i in range(8)]
        send_one(sock, reader, base + fields)
    elif probe == "continuation-flood":
        block = encoder.encode(base + [(b"x-filler", b"f" * 64)])
        sock.sendall(raw_preface() + HeadersFrame(1, block[:8]).serialize())
        rest = block[8:]
        # Never END_HEADERS: the header block goes on forever, one byte at a time.
        frame = lambda i: ContinuationFrame(1, rest[i % len(rest):i % len(rest) + 1] or b"a").serialize()
        reader.result["sent"], reader.result["send_failed"] = flood(sock, frame, 10_000, reader, per_write=10)
        reader.pump(5)
    elif probe == "rapid-reset":
        connection = client_connection()
        sock.sendall(connection.data_to_send())

        def frames(i):
            stream = 2 * i + 1
            connection.send_headers(stream, base)
            connection.reset_stream(stream, error_code=0x8)
            return connection.data_to_send()
        reader.result["sent"], reader.result["send_failed"] = flood(sock, frames, 2_000, reader, per_write=1)
        reader.pump(5)
    elif probe == "ping-flood":
        sock.sendall(raw_preface())
        ping = lambda i: PingFrame(0, opaque_data=struct.pack(">Q", i)).serialize()
        # Nothing is read meanwhile: the acknowledgements pile up on the server's side.
        reader.result["sent"], reader.result["send_failed"] = flood(sock, ping, 400_000, None, per_write=1000)
        reader.pump(10, until=lambda r: r["goaway"] is not None)
    elif probe == "empty-data-flood":
        headers = encoder.encode(request(authority, method=b"POST"))
        sock.sendall(raw_preface() + HeadersFrame(1, headers, flags=["END_HEADERS"]).serialize())
        empty = lambda i: DataFrame(1, b"").serialize()
        reader.result["sent"], reader.result["send_failed"] = flood(sock, empty, 5_000, reader, per_write=10)
        reader.pump(5, until=lambda r: r["goaway"] is not None)
    elif probe == "stream-idle":
        # A request whose body never comes: the stream goes quiet, the connection stays up.
        headers = encoder.encode(request(authority, method=b"POST"))
        sock.sendall(raw_preface() + HeadersFrame(1, headers, flags=["END_HEADERS"]).serialize())
        reader.pump(8, until=lambda r: "1" in r["rst"] or "1" in r["status"] or r["goaway"] is not None)
    elif probe == "client-idle":
        # A connection that never opens a stream.
        started = time.monotonic()
        sock.sendall(raw_preface())
        reader.pump(8, until=lambda r: r["closed"])
        reader.result["elapsed"] = time.monotonic() - started
    elif probe in ("idle-after-request", "answered-then-wait"):
        # One answered GET, then nothing: once its stream ended, the connection is idle.
        # `answered-then-wait` waits longer, for a close the test causes (a reload's drain).
        send_one(sock, reader, base)
        answered = time.monotonic()
        reader.pump(8 if probe == "idle-after-request" else 30, until=lambda r: r["closed"])
        reader.result["elapsed"] = time.monotonic() - answered
    elif probe == "host-conflict":
        send_one(sock, reader, base + [(b"host", host or b"other.invalid")])
    elif probe == "spoofed-identity":
        # Identity headers in the request and again in trailers; the body ends with the trailers.
        connection = client_connection()
        spoofed = [(b"x-client-verify", b"FORGED"), (b"x-client-cert-subject", b"CN=admin"),
                   (b"x-client-cert-fingerprint", b"00"), (b"cf-connecting-ip", b"1.2.3.4")]
        connection.send_headers(1, request(authority, method=b"POST") + spoofed)
        connection.send_data(1, b"hello")
        connection.send_headers(1, [(b"x-client-verify", b"TRAILER"), (b"x-trailer", b"1")], end_stream=True)
        sock.sendall(connection.data_to_send())
        reader.pump(5, until=lambda r: "1" in r["status"] or "1" in r["rst"] or r["goaway"] is not None)
    elif probe == "spoofed-success":
        # No certificate at an `optional` site, claiming to be verified.
        send_one(sock, reader, base + [(b"x-client-verify", b"SUCCESS"), (b"x-client-cert-subject", b"CN=admin")])
    else:
        sys.stderr.write(f"unknown probe {probe}\n")
        sys.exit(2)

    # Whether the server closed by itself: a short look after the outcome.
    if not reader.result["closed"] and reader.result["goaway"] is not None:
        reader.pump(2)
    print(json.dumps(reader.result, sort_keys=True))


if __name__ == "__main__":
    main()
