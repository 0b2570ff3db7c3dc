#!/usr/bin/env python3
"""A deliberately misbehaving HTTP/2 server for pullguard-bench's error classes.

usage: h2_raw_server.py CERT_PEM KEY_PEM MODE

Listens on 127.0.0.1 (port printed as "PORT <n>" on stdout), selects ALPN h2, and
answers every request (client HEADERS frame) with frames written by hand, what no
well-behaved server sends:
  rst          RST_STREAM(INTERNAL_ERROR) on the stream
  uppercase    a response whose header block has an uppercase name ("X-Bad"), which
               RFC 9113 §8.2.1 makes malformed
  goaway_error GOAWAY(last stream, PROTOCOL_ERROR), then close
Serves connections until killed (by the test, by PID); one thread per connection.
"""
import signal
import socket
import ssl
import struct
import sys
import threading


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def serve(conn, mode):
    try:
        if read_exact(conn, 24) != b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n":
            return
        conn.sendall(frame(0x4, 0, 0))
        while True:
            header = read_exact(conn, 9)
            length = int.from_bytes(header[:3], "big")
            kind, flags = header[3], header[4]
            stream = int.from_bytes(header[5:9], "big") & 0x7FFFFFFF
            read_exact(conn, length)
            if kind == 0x4 and not flags & 0x1:
                conn.sendall(frame(0x4, 0x1, 0))
            elif kind == 0x1:
                if mode == "rst":
                    conn.sendall(frame(0x3, 0, stream, struct.pack(">I", 2)))
                elif mode == "uppercase":
                    name, value = b"X-Bad", b"1"
                    block = bytes([0x88, 0x00, len(name)]) + name + bytes([len(value)]) + value
                    conn.sendall(frame(0x1, 0x5, stream, block))
                elif mode == "goaway_error":
                    conn.sendall(frame(0x7, 0, 0, struct.pack(">II", stream, 1)))
                    return
    except (EOFError, OSError, ssl.SSLError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main():
    # The test runner's process spawner may leave SIGTERM blocked: the test stops us with it.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    cert, key, mode = sys.argv[1:4]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.set_alpn_protocols(["h2"])
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    print(f"PORT {listener.getsockname()[1]}", flush=True)
    while True:
        raw, _ = listener.accept()
        try:
            conn = context.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            continue
        threading.Thread(target=serve, args=(conn, mode), daemon=True).start()


if __name__ == "__main__":
    main()
