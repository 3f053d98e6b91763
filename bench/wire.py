"""Requests as bytes on the wire: build them exactly, send them over a socket, and size both directions."""

import http.client
import socket


def raw_request(host, port, path, headers):
    """The request wrk sends: request line, Host, then the credential headers; nothing else."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def header_bytes(headers):
    """Bytes the given header lines add to a request."""
    return sum(len(f"{k}: {v}\r\n".encode("latin-1")) for k, v in headers.items())


def send(host, port, data, timeout=10):
    """Send one raw request on a new connection; (status, response size in bytes as received)."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(data)
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = response.read()
    fields = "".join(f"{k}: {v}\r\n" for k, v in response.msg.items())
    head = f"HTTP/1.1 {response.status} {response.reason}\r\n" + fields
    return response.status, len(head.encode("latin-1")) + 2 + len(body)
