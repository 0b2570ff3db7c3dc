#!/usr/bin/env python3
"""A raw TLS client for PullGuard's integration tests: one HTTP/1.1 request per step,
each step optionally offering the session the previous step left.

usage: tls_session_client.py PORT CA_PEM TLS_VERSION CERT_PEM|- KEY_PEM|- STEP...
STEP: sni:host[:resume][:sleep=SECONDS][:wait=PATH][:mark=PATH]  (host is also sent as Host)
  wait=PATH: before the step, wait (up to 30 s) until PATH exists;
  mark=PATH: after the step, create PATH (a test reloads the proxy in between).
Prints one JSON object per step: handshake result, whether the session was reused,
the HTTP status and body, or the TLS error.
"""
import json
import os
import socket
import ssl
import sys
import time


def wait_for(path):
    deadline = time.monotonic() + 30
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.02)


def main():
    port, ca, version, cert, key = sys.argv[1:6]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # The sites share one server certificate: what is tested is the client's admission.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    pinned = ssl.TLSVersion.TLSv1_2 if version == "1.2" else ssl.TLSVersion.TLSv1_3
    context.minimum_version = pinned
    context.maximum_version = pinned
    if cert != "-":
        context.load_cert_chain(cert, key)
    session = None
    for step in sys.argv[6:]:
        parts = step.split(":")
        sni, host = parts[0], parts[1]
        options = parts[2:]
        for option in options:
            if option.startswith("sleep="):
                time.sleep(float(option.split("=", 1)[1]))
            if option.startswith("wait="):
                wait_for(option.split("=", 1)[1])
        offer = session if "resume" in options else None
        result = {"sni": sni, "offered": offer is not None}
        raw = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
        try:
            tls = context.wrap_socket(raw, server_hostname=sni, session=offer)
            result["reused"] = tls.session_reused
            tls.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while True:
                chunk = tls.recv(65536)
                if not chunk:
                    break
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            status_line = head.split(b"\r\n", 1)[0].decode(errors="replace")
            result["status"] = int(status_line.split()[1]) if status_line.startswith("HTTP/") else None
            result["body"] = body.decode(errors="replace")
            if tls.session is not None:
                session = tls.session
            tls.close()
        except (ssl.SSLError, OSError) as error:
            result["error"] = str(error)
            result.setdefault("status", None)
        finally:
            raw.close()
        print(json.dumps(result), flush=True)
        for option in options:
            if option.startswith("mark="):
                open(option.split("=", 1)[1], "w").close()


if __name__ == "__main__":
    main()
