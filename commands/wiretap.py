"""A loopback relay that prints what travels on the wire, and any Basic credentials it can decode.

The relay itself is stack/wiretap.py; docs/security.md shows it on Basic, then over TLS.

    .venv/bin/python -m commands.wiretap --listen 9000 --to localhost:8000
    curl -u alice:wonderland localhost:9000/api/basic/me
"""

import argparse
import threading

from stack.wiretap import Wiretap, decode_basic


def show(chunk):
    """Print a chunk as a person would see it on the wire, then the credentials it gives away."""
    printable = chunk.decode("latin-1")
    looks_like_text = sum(c.isprintable() or c in "\r\n" for c in printable) > 0.9 * len(printable)
    print(printable if looks_like_text else f"[{len(chunk)} bytes of binary: TLS records, nothing to read]", flush=True)
    for credentials in decode_basic(chunk):
        print(f"  -> Basic credentials on the wire: {credentials}", flush=True)


def main():
    """Relay until Ctrl-C, printing each chunk a client sends."""
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
