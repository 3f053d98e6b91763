"""Start and stop the demo's child processes, for `make run` and for the tests alike."""

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


_CLAIMED = set()  # ports this process chose or was told to use, whether or not their process is listening yet


def free_port(host="127.0.0.1"):
    """A port nobody listens on right now (the OS picks it), and none this process chose or claimed before."""
    while True:
        with socket.socket() as sock:
            sock.bind((host, 0))
            port = sock.getsockname()[1]
        if port not in _CLAIMED:
            _CLAIMED.add(port)
            return port


def claim(ports):
    """Ports this process will bind later (configured ones): free_port() never hands them out meanwhile."""
    _CLAIMED.update(ports)


def _detach_and_die_with_parent():
    """Own process group (so a stop reaches every grandchild), and SIGTERM if our parent dies first."""
    os.setsid()
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Service:
    """One child process listening on host:port, or on the unix socket `uds` (then port is None)."""

    def __init__(self, name, argv, port, host="127.0.0.1", env=None, log=None, stop_signal=signal.SIGTERM, uds=None):
        self.name, self.argv, self.port, self.host, self.uds = name, argv, port, host, uds
        self.stop_signal = stop_signal
        self.env = {**os.environ, **(env or {})}
        self.log = log
        self.proc = None

    def start(self, timeout=20):
        """Launch and wait until the port accepts connections."""
        return self.launch().wait_listening(timeout)

    @property
    def address(self):
        """Where it listens, as a person reads it: host:port or the socket's path."""
        return str(self.uds) if self.uds else f"{self.host}:{self.port}"

    def launch(self):
        """Start the process without waiting for it (from the main thread: the child dies with its parent thread)."""
        if self.uds:
            Path(self.uds).unlink(missing_ok=True)  # a socket left by a killed process would fail the bind
        out = open(self.log, "ab") if self.log else None
        try:
            self.proc = subprocess.Popen(
                self.argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT if out else None,
                preexec_fn=_detach_and_die_with_parent,
            )
        finally:
            if out:
                out.close()  # the child has its own copy
        return self

    def wait_listening(self, timeout=20):
        """Wait until the launched process's port accepts connections; stop it and raise if it does not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: {' '.join(self.argv)}")
            try:
                self.connect(timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} did not listen on {self.address} within {timeout}s")

    def connect(self, timeout=None):
        """A connected socket to the service (TCP or unix)."""
        if not self.uds:
            return socket.create_connection((self.host, self.port), timeout=timeout)
        sock = socket.socket(socket.AF_UNIX)
        sock.settimeout(timeout)
        try:
            sock.connect(str(self.uds))
        except OSError:
            sock.close()
            raise
        return sock

    def signal(self, sig):
        """Send a signal to the whole process group (SIGSTOP/SIGCONT drills, stops)."""
        os.killpg(self.proc.pid, sig)

    def stop(self, timeout=5):
        """The stop signal to the group, then SIGKILL whatever is left."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.signal(signal.SIGCONT)  # a stopped process cannot act on SIGTERM
            self.signal(self.stop_signal)
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def python(*args):
    """This interpreter, so children use the same virtualenv."""
    return [sys.executable, *args]


# How the Flask apps are served (docs/servers.md compares them: throughput, p99, slow clients, parse errors).
# granian: Rust (hyper) reads and parses every connection without a Python thread, so idle or slow clients cost a
# socket, not a worker; its header-read timeout also closes idle keep-alive connections. A stalled *body* does hold a
# thread (granian has no body timeout), so `make run*` serves it on a unix socket behind HAProxy (load_balancer.py).
SERVERS = ("granian", "gunicorn-sync", "gunicorn-gthread", "gunicorn-gevent")
DEFAULT_SERVER = "granian"
HEADER_TIMEOUT_S = 5  # a request's headers (and a keep-alive connection's next request) must arrive within this
HEADER_BYTES = 16384  # granian: the most a request line plus headers may take (bigger: 431); gunicorn: per field


def wsgi(name, factory, port, env, workers, host, log, server=DEFAULT_SERVER, threads=4, uds=None):
    """A Flask app factory ("package:function") served by `server` with `workers` processes of `threads` each.

    With `uds` (a path in a 0700 folder) it listens on that unix socket instead of host:port: only its owner, and
    the proxy in front (stack/load_balancer.py), can reach it.
    """
    if server == "granian":
        where = ["--uds", str(uds)] if uds else ["--host", host, "--port", str(port)]
        argv = python(
            "-m", "granian", "--interface", "wsgi", "--factory", factory, *where,
            "--workers", str(workers), "--blocking-threads", str(threads), "--http", "1", "--no-ws",
            "--http1-header-read-timeout", str(HEADER_TIMEOUT_S * 1000), "--http1-buffer-size", str(HEADER_BYTES),
            "--workers-kill-timeout", "2",
            "--log-level", "warning",
        )
        if env.get("TLS_CERT"):
            argv += ["--ssl-certificate", env["TLS_CERT"], "--ssl-keyfile", env["TLS_KEY"]]
            argv += ["--ssl-protocol-min", "tls1.2"]  # granian's default minimum is 1.3
        return Service(name, argv, port, host, env, log, uds=uds)
    if server not in SERVERS:
        raise ValueError(f"unknown server {server!r}: one of {', '.join(SERVERS)}")
    worker_class = server.removeprefix("gunicorn-")
    argv = python(
        "-m", "gunicorn", "--bind", f"unix:{uds}" if uds else f"{host}:{port}", "--workers", str(workers),
        "--worker-class", worker_class,
        "--threads", str(threads if worker_class == "gthread" else 1), "--worker-connections", "1000",
        "--keep-alive", str(HEADER_TIMEOUT_S), "--limit-request-field_size", "16384", "--graceful-timeout", "2",
        "--log-level", "warning", f"{factory}()",
    )
    argv += tls_flags(env)
    return Service(name, argv, port, host, env, log, uds=uds)  # SIGTERM: a graceful stop, so no worker is SIGKILLed


def api(port, env, workers=2, host="127.0.0.1", log=None, server=DEFAULT_SERVER, threads=4, uds=None):
    """The Flask API."""
    return wsgi("api", "backend:create_app", port, env, workers, host, log, server, threads, uds)


def issuer(port, env, host="127.0.0.1", log=None, server=DEFAULT_SERVER, uds=None):
    """The token issuer: one worker, because its keys live in that process's memory."""
    return wsgi("issuer", "issuer:create_app", port, env, 1, host, log, server, uds=uds)


def frontend(name, port, env, host="127.0.0.1", log=None):
    """A static frontend (frontend_a or frontend_b) plus the shared client module and its config."""
    argv = python("-m", "stack.static_server", name, "--host", host, "--port", str(port))
    argv += tls_flags(env)
    return Service(name, argv, port, host, env, log)


def tls_flags(env):
    """HTTPS mode: when env names TLS_CERT and TLS_KEY, the flags (gunicorn's and the frontends') for TLS."""
    return ["--certfile", env["TLS_CERT"], "--keyfile", env["TLS_KEY"]] if env.get("TLS_CERT") else []


def bff(site, port, env, host="127.0.0.1", log=None, server=DEFAULT_SERVER):
    """The backend-for-frontend of frontend `site` (a or b); its state is in Redis, so one worker is only a choice."""
    return wsgi(f"bff_{site}", "bff:create_app", port, {**env, "BFF_SITE": site}, 1, host, log, server)


def collector(port, env, host="127.0.0.1", log=None, server=DEFAULT_SERVER):
    """The attacker's collector: one worker, whose thread runs the scheduled attempts; loopback only."""
    return wsgi("collector", "collector:create_app", port, env, 1, host, log, server)
