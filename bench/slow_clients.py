"""Idle, slow-header and stalled-body clients held against a loopback server while a probe times everyone else.

A bounded, self-stopping stand-in for slowhttptest's slowloris and slow-body modes: `idle` connections send one
complete request and then stay open saying nothing (keep-alive), `slow` connections send a request line and then
one header line every `drip_s` seconds, never finishing, `stalled` ones send a login's whole head with
`Content-Length: 1000`, one byte of the body, and then nothing. A connection the server closes is reopened, so
the pressure stays for the whole `seconds`; at most `reopen_cap` connections are opened in all. Loopback only.
"""

import http.client
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Held:
    """One connection of the crowd: what kind, when it opened, when it last dripped a header."""

    kind: str
    sock: socket.socket
    opened: float
    dripped: float


@dataclass
class Outcome:
    """What the probe saw while the crowd was held, and how the server treated the crowd."""

    probe_ms: list = field(default_factory=list)  # latency of each answered probe
    probe_failures: list = field(default_factory=list)  # (seconds into the hold, why)
    closed_after_s: dict = field(default_factory=lambda: {"idle": [], "slow": [], "stalled": []})  # server-closed
    opened: int = 0
    refused: int = 0  # connects the server did not accept within a second

    @property
    def worst_ms(self):
        return max(self.probe_ms, default=float("inf"))

    def p99_ms(self):
        ordered = sorted(self.probe_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else float("inf")

    def summary(self):
        return {
            "probes": len(self.probe_ms) + len(self.probe_failures), "probe_failures": len(self.probe_failures),
            "probe_median_ms": round(statistics.median(self.probe_ms), 1) if self.probe_ms else None,
            "probe_worst_ms": round(self.worst_ms, 1) if self.probe_ms else None,
            "opened": self.opened, "refused": self.refused,
            **{f"{kind}_closed": len(lifetimes) for kind, lifetimes in self.closed_after_s.items()},
            **{f"{kind}_closed_after_s": round(statistics.median(self.closed_after_s[kind]), 1)
               for kind in ("slow", "stalled") if self.closed_after_s[kind]},
        }


STALLED_PATH = "/api/session/login"  # a login: the limiter reads the body before anything else


class Crowd:
    """The idle, slow and stalled connections, kept up by one thread until `seconds` have passed."""

    def __init__(self, host, port, idle, slow, seconds, drip_s=1.0, path="/api/public", reopen_cap=None, stalled=0):
        if host not in LOOPBACK:
            raise ValueError("slow clients only against loopback")
        self.host, self.port, self.path = host, port, path
        self.counts = {"idle": idle, "slow": slow, "stalled": stalled}
        self.seconds, self.drip_s = seconds, drip_s
        self.reopen_cap = reopen_cap or 10 * (idle + slow + stalled)
        self.outcome = Outcome()
        self.held = []
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _open(self, kind):
        if self.outcome.opened >= self.reopen_cap:
            return
        self.outcome.opened += 1
        try:
            sock = socket.create_connection((self.host, self.port), timeout=1)
            sock.sendall(self._first_bytes(kind))
            sock.setblocking(False)
        except OSError:
            self.outcome.refused += 1
            return
        now = time.monotonic()
        self.held.append(Held(kind, sock, now, now))

    def _first_bytes(self, kind):
        """What a connection of this kind sends when it opens (and never more, but for a slow one's drips)."""
        host = f"Host: {self.host}:{self.port}\r\n"
        if kind == "stalled":
            head = f"POST {STALLED_PATH} HTTP/1.1\r\n{host}Content-Type: application/json\r\nContent-Length: 1000\r\n"
            return (head + "\r\n{").encode()
        return f"GET {self.path} HTTP/1.1\r\n{host}".encode() + (b"\r\n" if kind == "idle" else b"X-Slow: 1\r\n")

    def _tend(self, held, now):
        """Drain what the server sent; True while the connection is still open."""
        try:
            while True:
                data = held.sock.recv(65536)
                if not data:
                    return False
        except BlockingIOError:
            pass
        except OSError:
            return False
        if held.kind == "slow" and now - held.dripped >= self.drip_s:
            try:
                held.sock.send(b"X-Slow: 1\r\n")
                held.dripped = now
            except OSError:
                return False
        return True

    def _run(self):
        for kind, count in self.counts.items():
            for _ in range(count):
                self._open(kind)
        self.ready.set()
        deadline = time.monotonic() + self.seconds
        try:
            while time.monotonic() < deadline:
                now = time.monotonic()
                for held in list(self.held):
                    if not self._tend(held, now):
                        self.outcome.closed_after_s[held.kind].append(now - held.opened)
                        held.sock.close()
                        self.held.remove(held)
                        self._open(held.kind)
                time.sleep(0.05)
        finally:
            for held in self.held:
                held.sock.close()
            self.held.clear()

    def __enter__(self):
        self.thread.start()
        self.ready.wait(30)
        return self

    def __exit__(self, *exc):
        self.thread.join(self.seconds + 30)


def probe_once(host, port, path, timeout):
    """Milliseconds for one GET on a fresh connection; raises if no answer within `timeout`."""
    started = time.monotonic()
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"status {response.status}")
    finally:
        connection.close()
    return (time.monotonic() - started) * 1000


def hold(host, port, idle=64, slow=64, seconds=5.0, probe_every=0.1, timeout=1.0, path="/api/public", stalled=0):
    """Hold the crowd for `seconds` while probing every `probe_every` s on fresh connections; the Outcome."""
    with Crowd(host, port, idle, slow, seconds, path=path, stalled=stalled) as crowd:
        started = time.monotonic()
        while crowd.thread.is_alive():
            try:
                crowd.outcome.probe_ms.append(probe_once(host, port, path, timeout))
            except (OSError, RuntimeError, http.client.HTTPException) as exc:
                crowd.outcome.probe_failures.append((round(time.monotonic() - started, 2), repr(exc)))
            time.sleep(probe_every)
    return crowd.outcome
