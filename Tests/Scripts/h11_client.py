#!/usr/bin/env python3
"""Requests on one HTTP/1.1 connection over TLS, each response read by h11, a strict
HTTP/1.1 parser: what a client that checks every framing rule makes of PullGuard's bytes.

usage: h11_client.py PORT SNI CERT_PEM KEY_PEM < requests.json
requests.json: a list of [METHOD, TARGET]; each is sent once the previous response has
ended. Prints one JSON object: {"responses": [{"status", "headers", "body"}...], "error": str|null}.
The headers are [name, value] pairs, names lower-cased (h11's form).
"""
import json
import socket
import ssl
import sys

import h11


def main():
    port, sni, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    requests = json.load(sys.stdin)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.load_cert_chain(cert, key)
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    tls = context.wrap_socket(raw, server_hostname=sni)
    connection = h11.Connection(h11.CLIENT)
    responses = []
    error = None
    try:
        for method, target in requests:
            if connection.our_state is h11.DONE and connection.their_state is h11.DONE:
                connection.start_next_cycle()
            tls.sendall(connection.send(h11.Request(method=method, target=target, headers=[("Host", sni)])))
            tls.sendall(connection.send(h11.EndOfMessage()))
            response = None
            body = b""
            while True:
                event = connection.next_event()
                if event is h11.NEED_DATA:
                    connection.receive_data(tls.recv(65536))
                    continue
                if isinstance(event, h11.InformationalResponse):
                    continue
                if isinstance(event, h11.Response):
                    response = event
                elif isinstance(event, h11.Data):
                    body += event.data
                elif isinstance(event, h11.EndOfMessage):
                    break
                elif isinstance(event, h11.ConnectionClosed):
                    raise RuntimeError("connection closed before the response ended")
            responses.append({
                "status": response.status_code,
                "headers": [[name.decode("latin-1"), value.decode("latin-1")] for name, value in response.headers],
                "body": body.decode("latin-1"),
            })
    except Exception as exc:  # reported, so the test names what the strict parser refused
        error = f"{type(exc).__name__}: {exc}"
    print(json.dumps({"responses": responses, "error": error}))


if __name__ == "__main__":
    main()
