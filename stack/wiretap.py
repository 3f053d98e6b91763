"""A loopback relay that shows what travels on the wire, and decodes any Basic credentials it can read.

    .venv/bin/python -m stack.wiretap --listen 9000 --to localhost:8000
    curl -u alice:wonderland localhost:9000/api/basic/me
    # the relay prints:  Authorization: Basic YWxpY2U6d29uZGVybGFuZA==  ->  alice:wonderland

Base64 is an encoding, not encryption: anyone on the path reads the password. Point the relay at the API of
`make run-https` instead (and curl https://localhost:9000 with --cacert) and it sees only TLS records.
"""

import argparse
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


def show(chunk):
    """Print a chunk as a person would see it on the wire, then the credentials it gives away."""
    printable = chunk.decode("latin-1")
    looks_like_text = sum(c.isprintable() or c in "\r\n" for c in printable) > 0.9 * len(printable)
    print(printable if looks_like_text else f"[{len(chunk)} bytes of binary: TLS records, nothing to read]", flush=True)
    for credentials in decode_basic(chunk):
        print(f"  -> Basic credentials on the wire: {credentials}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=int, required=True, help="port on 127.0.0.1 to accept clients on")
    parser.add_argument("--to", required=True, help="host:port of the server (loopback only)")
    args = parser.parse_args()
    host, _, port = args.to.rpartition(":")
    with Wiretap(host, int(port), args.listen, on_data=show):
        print(f"relaying 127.0.0.1:{args.listen} -> {args.to}; Ctrl-C stops", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
