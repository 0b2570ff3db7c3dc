#!/usr/bin/env python3
"""A raw TLS client that holds one HTTP/1.1 connection across a reload of PullGuard.

usage: keepalive_client.py PORT CA_PEM CERT_PEM KEY_PEM HOST MODE MARK GO [SLOW_MS]
MODE idle:     GET / (keep-alive), read the response, create MARK, wait for GO, then
               report whether the server closed the idle connection within 5 s.
MODE inflight: GET /slow?ms=SLOW_MS (default 3000, keep-alive), create MARK once sent, read until the
               server closes; report the status and whether it said `Connection: close`.
MODE idle-forever: send half a request head, create MARK, and report whether the server
               closed the connection within 15 s (a drain must end it at drain_timeout).
Prints one JSON object.
"""
import json
import os
import socket
import ssl
import sys
import time


def wait_for(path, limit=30):
    deadline = time.monotonic() + limit
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.02)


def read_response(tls):
    """One response with a Content-Length body: (status, headers lower-cased, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = tls.recv(65536)
        if not chunk:
            raise EOFError("closed before a response head")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    length = int(headers.get("content-length", ["0"])[0])
    while len(body) < length:
        chunk = tls.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body


def closed_within(tls, seconds):
    """Whether the server closes within `seconds` (whatever it writes before closing)."""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            tls.settimeout(max(0.01, deadline - time.monotonic()))
            if tls.recv(65536) == b"":
                return True
        return False
    except (ssl.SSLError, ConnectionResetError):
        return True
    except socket.timeout:
        return False


def main():
    port, ca, cert, key, host, mode, mark, go = sys.argv[1:9]
    slow_ms = sys.argv[9] if len(sys.argv) > 9 else "3000"
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.load_cert_chain(cert, key)
    raw = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
    tls = context.wrap_socket(raw, server_hostname=host)
    result = {}
    if mode == "idle-forever":
        tls.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\n".encode())
        open(mark, "w").close()
        result["closed"] = closed_within(tls, 15)
    elif mode == "idle":
        tls.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        result["status"], _, _ = read_response(tls)
        open(mark, "w").close()
        wait_for(go)
        result["closed"] = closed_within(tls, 5)
    else:
        tls.sendall(f"GET /slow?ms={slow_ms} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        open(mark, "w").close()
        status, headers, _ = read_response(tls)
        result["status"] = status
        result["connection"] = headers.get("connection", [])
        result["closed"] = closed_within(tls, 5)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
