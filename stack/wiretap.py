"""A loopback relay that shows what travels on the wire, and decodes any Basic credentials it can read.

    .venv/bin/python -m commands.wiretap --listen 9000 --to localhost:8000
    curl -u alice:wonderland localhost:9000/api/basic/me
    # the relay prints:  Authorization: Basic YWxpY2U6d29uZGVybGFuZA==  ->  alice:wonderland

Base64 is an encoding, not encryption: anyone on the path reads the password. Point the relay at the API of
`make run-https` instead (and curl https://localhost:9000 with --cacert) and it sees only TLS records.
"""

import base64
import binascii
import re
import socket
import threading

LOOPBACK = {"localhost", "127.0.0.1", "::1"}
BASIC = re.compile(rb"Authorization:[ \t]*Basic[ \t]+([A-Za-z0-9+/=]+)", re.IGNORECASE)


def decode_basic(captured):
    """Every `user:password` a Basic header in these bytes decodes to."""
    found = []
    for match in BASIC.finditer(captured):
        try:
            found.append(base64.b64decode(match.group(1), validate=True).decode("utf-8", "replace"))
        except binascii.Error:
            continue
    return found


class Wiretap:
    """Relays connections from 127.0.0.1:port to a loopback target, keeping what the clients sent."""

    def __init__(self, target_host, target_port, port=0, on_data=None):
        if target_host not in LOOPBACK:
            raise ValueError("the wiretap only relays to this machine (localhost, 127.0.0.1, ::1)")
        self.target = (target_host, target_port)
        self.on_data = on_data
        self.captured = bytearray()
        self._lock = threading.Lock()
        self._open = []  # every relayed socket, closed on exit so no server waits on a half-open connection
        self._server = socket.create_server(("127.0.0.1", port))
        self.port = self._server.getsockname()[1]

    def __enter__(self):
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._server.close()
        for sock in self._open:
            _close(sock)

    def _accept(self):
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:  # closed by __exit__
                return
            upstream = socket.create_connection(self.target, timeout=10)
            self._open += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source, sink, from_client):
        """Copy one direction until it closes; what the client sends is kept (and shown)."""
        try:
            while chunk := source.recv(65536):
                if from_client:
                    with self._lock:
                        self.captured += chunk
                    if self.on_data:
                        self.on_data(chunk)
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            _close(source)
            _close(sink)


def _close(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
