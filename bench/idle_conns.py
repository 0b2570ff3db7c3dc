#!/usr/bin/env python3
"""Resident memory per idle, established mTLS connection.

Opens N TLS connections to one loopback server with the client certificate,
completes the handshake and one keep-alive HTTP/1.1 request on each (with
--http 2: ALPN h2, the preface, SETTINGS and one stream, so the HTTP/2 session exists
too), so the TLS and HTTP state exist on the server, keeps them all open, and reads the server's
resident memory (sum of VmRSS from /proc/PID/status over --pid) before and after.
Prints one JSON object:

  {"connections_requested", "connections_open", "connections_failed",
   "errors": {class: count}, "rss_before_kib", "rss_after_kib",
   "kib_per_connection", "open_seconds"}

Bounded: every connection has a deadline (--timeout for the whole opening
phase); loopback only; every socket is closed before exit. Used by
scripts/bench-compare.sh (pinned to core 1); runnable by hand:

  python3 bench/idle_conns.py --port 8443 --cafile root.pem --cert client.pem \
      --key client.key --pid 1234 -n 200
"""
import argparse
import collections
import ipaddress
import json
import resource
import selectors
import socket
import ssl
import sys
import time

REQUEST = b"GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: pullguard-idle-conns\r\n\r\n"


def h2_frame(kind, flags, stream, payload):
    return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload


def h2_request(authority):
    """Preface, empty SETTINGS, and GET / on stream 1 (HPACK literals, no Huffman)."""
    block = b""
    for name, value in ((":method", "GET"), (":scheme", "https"), (":authority", authority), (":path", "/")):
        block += b"\x00" + bytes([len(name)]) + name.encode() + bytes([len(value)]) + value.encode()
    return (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(0x4, 0, 0, b"")
            + h2_frame(0x1, 0x5, 1, block))


def h2_response_complete(data):
    """(done, status ok): stream 1 ended (END_STREAM on its HEADERS or DATA); ok when its
    first HEADERS block starts with :status 200 (HPACK static index 8)."""
    offset, ok = 0, None
    while len(data) - offset >= 9:
        length = int.from_bytes(data[offset:offset + 3], "big")
        kind, flags = data[offset + 3], data[offset + 4]
        stream = int.from_bytes(data[offset + 5:offset + 9], "big") & 0x7FFFFFFF
        if len(data) - offset - 9 < length:
            break
        payload = data[offset + 9:offset + 9 + length]
        if stream == 1 and kind == 0x1 and ok is None:
            ok = payload[:1] == b"\x88"
        if stream == 1 and kind in (0x0, 0x1) and flags & 0x1:
            return True, bool(ok)
        if kind == 0x7:
            return True, False
        offset += 9 + length
    return False, False


def rss_kib(pids):
    """Sum of VmRSS (KiB) over the given PIDs."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    break
    return total


def response_complete(data):
    """True once a full HTTP/1.1 response with a Content-Length body has arrived."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return len(body) >= length


class Conn:
    """One connection's state: connecting -> handshaking -> sending -> reading -> idle."""

    def __init__(self, sock):
        self.sock = sock
        self.state = "connecting"
        self.sent = 0
        self.data = b""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sni", default="localhost")
    parser.add_argument("--cafile", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--pid", type=int, action="append", required=True, help="server PID (repeatable; RSS is summed)")
    parser.add_argument("-n", "--connections", type=int, default=10000)
    parser.add_argument("--window", type=int, default=64, help="connections in progress at once")
    parser.add_argument("--timeout", type=float, default=120.0, help="deadline for opening all connections (s)")
    parser.add_argument("--settle", type=float, default=2.0, help="wait before reading RSS (s)")
    parser.add_argument("--http", choices=["1.1", "2"], default="1.1",
                        help="1.1: one keep-alive request; 2: ALPN h2, preface, SETTINGS and one stream")
    args = parser.parse_args()

    if not ipaddress.ip_address(args.host).is_loopback:
        sys.exit("idle_conns: loopback addresses only")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.connections + 256
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard) if hard != resource.RLIM_INFINITY else want, hard))

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_verify_locations(args.cafile)
    context.load_cert_chain(args.cert, args.key)
    request = REQUEST
    if args.http == "2":
        context.set_alpn_protocols(["h2"])
        request = h2_request(args.sni)

    time.sleep(args.settle)
    before = rss_kib(args.pid)

    selector = selectors.DefaultSelector()
    errors = collections.Counter()
    idle = []
    active = 0
    started = 0
    closed_while_idle = 0
    start = time.monotonic()
    deadline = start + args.timeout

    def fail(conn, kind):
        nonlocal active
        errors[kind] += 1
        active -= 1
        try:
            selector.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        conn.sock.close()

    def advance(conn):
        """Moves one connection as far as it can go without blocking."""
        nonlocal active
        try:
            if conn.state == "connecting":
                err = conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    return fail(conn, f"connect:{err}")
                conn.state = "handshaking"
            if conn.state == "handshaking":
                conn.sock.do_handshake()
                conn.state = "sending"
            if conn.state == "sending":
                conn.sent += conn.sock.send(request[conn.sent:])
                if conn.sent < len(request):
                    selector.modify(conn.sock, selectors.EVENT_WRITE, conn)
                    return
                conn.state = "reading"
            if conn.state == "reading":
                while True:
                    chunk = conn.sock.recv(4096)
                    if not chunk:
                        return fail(conn, "closed_by_server")
                    conn.data += chunk
                    if args.http == "2":
                        done, ok = h2_response_complete(conn.data)
                        if done:
                            if not ok:
                                return fail(conn, "h2_status")
                            break
                    elif response_complete(conn.data):
                        break
                if args.http == "1.1" and not conn.data.startswith(b"HTTP/1.1 200"):
                    return fail(conn, "status:" + conn.data[9:12].decode("ascii", "replace"))
                conn.state = "idle"
                selector.unregister(conn.sock)
                idle.append(conn)
                active -= 1
                return
            selector.modify(conn.sock, selectors.EVENT_READ, conn)
        except ssl.SSLWantReadError:
            selector.modify(conn.sock, selectors.EVENT_READ, conn)
        except ssl.SSLWantWriteError:
            selector.modify(conn.sock, selectors.EVENT_WRITE, conn)
        except ssl.SSLError as error:
            fail(conn, f"tls:{error.reason or type(error).__name__}")
        except OSError as error:
            fail(conn, f"os:{error.errno}")

    try:
        while (started < args.connections or active > 0) and time.monotonic() < deadline:
            while started < args.connections and active < args.window:
                raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                raw.setblocking(False)
                raw.connect_ex((args.host, args.port))
                sock = context.wrap_socket(raw, server_hostname=args.sni, do_handshake_on_connect=False)
                conn = Conn(sock)
                selector.register(sock, selectors.EVENT_WRITE, conn)
                started += 1
                active += 1
            for key, _ in selector.select(timeout=0.5):
                advance(key.data)
        opened = time.monotonic() - start
        # Anything still in progress at the deadline counts as failed.
        for key in list(selector.get_map().values()):
            fail(key.data, "timeout")
        time.sleep(args.settle)
        after = rss_kib(args.pid)
        # The server must still hold them: an idle socket must not be at EOF.
        for conn in idle:
            try:
                if conn.sock.recv(1) == b"":
                    closed_while_idle += 1
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                pass
            except (ssl.SSLError, OSError):
                closed_while_idle += 1
    finally:
        for conn in idle:
            conn.sock.close()
        selector.close()

    result = {
        "connections_requested": args.connections,
        "connections_open": len(idle),
        "connections_failed": args.connections - len(idle),
        "closed_while_idle": closed_while_idle,
        "errors": dict(errors),
        "rss_before_kib": before,
        "rss_after_kib": after,
        "kib_per_connection": round((after - before) / len(idle), 2) if idle else None,
        "open_seconds": round(opened, 2),
    }
    print(json.dumps(result))
    return 0 if idle and len(idle) == args.connections and closed_while_idle == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
