"""Small actions the tests repeat (imported, unlike conftest)."""

import base64
import contextlib
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from jwt.algorithms import RSAAlgorithm
from jwt.utils import base64url_encode

from backend.methods import REGISTRY

BEARER_METHODS = [method.name for method in REGISTRY if method.auth is not None]  # token, signed, jwt


def basic_header(username, password):
    """An `Authorization: Basic` header the way RFC 7617 builds it (UTF-8)."""
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


class Actions:
    """Logins and logouts the tests repeat."""

    def __init__(self, client):
        self.client = client

    def session_login(self, username="alice", password="wonderland", headers=None, **extra):
        body = {"username": username, "password": password, **extra}
        return self.client.post("/api/session/login", json=body, headers=headers or {})

    def session_logout(self, csrf_token, **headers):
        return self.client.post("/api/session/logout", headers={"X-CSRF-Token": csrf_token, **headers})

    def session_id(self):
        cookie = self.client.get_cookie("session_id")
        return cookie.value if cookie else None


def bearer(token):
    """An `Authorization: Bearer` header (RFC 6750)."""
    return {"Authorization": f"Bearer {token}"}


def assert_refused(client, method, token, message):
    """`me` of `method` with this token is a 401 `invalid_token` saying `message`."""
    response = client.get(f"/api/{method}/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.get_json() == {"error": "invalid_token", "message": message}


def token_login(client, method, username="alice", password="wonderland", **extra):
    """POST /api/<method>/login for token, signed or jwt; extra fields (transport, samesite, ...) pass through."""
    return client.post(f"/api/{method}/login", json={"username": username, "password": password, **extra})


def access_token(client, method, **extra):
    """A fresh access token of `method` for alice (header transport)."""
    response = token_login(client, method, **extra)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["access_token"]


def redis_commands(redis_db):
    """Commands the Redis server has processed so far (INFO itself counts as one)."""
    return redis_db.info("stats")["total_commands_processed"]


@contextlib.contextmanager
def tiny_server(status=404, body=b""):
    """A loopback HTTP server answering every GET with `status` and `body`; yields (origin, paths requested)."""
    requested = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            requested.append(self.path)
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requested
    finally:
        server.shutdown()
        server.server_close()


def forge(header, claims, key=None, rsa_key=None):
    """header.payload.signature with HMAC-SHA256 under `key`, RS256 under `rsa_key`, or no signature.

    Built by hand, the way an attacker would, so no library guard on the signing side hides a gap on the verifying
    side; `header` and `claims` may be any JSON value.
    """
    signing_input = b".".join(base64url_encode(json.dumps(part).encode()) for part in (header, claims))
    if rsa_key is not None:
        signature = RSAAlgorithm(RSAAlgorithm.SHA256).sign(signing_input, rsa_key)
    elif key is not None:
        signature = hmac.new(key, signing_input, hashlib.sha256).digest()
    else:
        signature = b""
    return (signing_input + b"." + base64url_encode(signature)).decode()


class Launch:
    """A running `python -m stack.run`: its ports, its output up to the awaited line, the process and its logs.

    Unpacks as (ports, banner) for the tests that need no more.
    """

    def __init__(self, ports, process, out, err):
        self.ports, self.process, self.out, self.err = ports, process, out, err
        self.banner = ""

    def __iter__(self):
        return iter((self.ports, self.banner))

    def wait_for(self, text, timeout=30):
        """Wait until stdout holds `text` (or the launcher exits, or time runs out); return stdout so far."""
        deadline = time.monotonic() + timeout
        while text not in self.out.read_text() and self.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.out.read_text()


def launch_env(tmp_path, ports):
    """The environment a test gives `make run`: its free ports, its own var/, and none of the tests' secrets."""
    from stack import local_secrets, procs

    for name in ("bff_a", "bff_b", "collector"):  # never the demo's fixed ports, even where a test names no port
        ports.setdefault(name, procs.free_port())
    env = {
        **os.environ,
        "API_ORIGIN": f"http://localhost:{ports['api']}",
        "FRONTEND_A_ORIGIN": f"http://localhost:{ports['a']}",
        "FRONTEND_B_ORIGIN": f"http://127.0.0.1:{ports['b']}",
        "ISSUER_ORIGIN": f"http://127.0.0.1:{ports['issuer']}",
        "BFF_A_ORIGIN": f"http://localhost:{ports['bff_a']}",
        "BFF_B_ORIGIN": f"http://127.0.0.1:{ports['bff_b']}",
        "COLLECTOR_ORIGIN": f"http://127.0.0.1:{ports['collector']}",
        "AUTHLAB_VAR": str(tmp_path / "var"),
    }
    for name in ("REDIS_URL", "TLS_CERT", "TLS_KEY", "ALLOW_DEV_SECRETS", *local_secrets.NAMES):
        env.pop(name, None)
    return env


@contextlib.contextmanager
def launched(tmp_path, *flags, until, ports=None, module="stack.run"):
    """`python -m stack.run` (make run; or `module`) on free loopback ports in a process group of its own; yields a
    Launch once its output holds `until`, and sends the group SIGTERM afterwards, as Ctrl-C would."""
    from stack import procs

    ports = ports or {name: procs.free_port() for name in ("api", "a", "b", "issuer", "redis", "bff_a", "bff_b",
                                                           "collector")}
    out, err = tmp_path / "run.out", tmp_path / "run.err"
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        run = subprocess.Popen(
            [sys.executable, "-m", module, *flags], cwd=procs.ROOT, env=launch_env(tmp_path, ports),
            stdout=stdout, stderr=stderr, start_new_session=True,
        )
    launch = Launch(ports, run, out, err)
    try:
        launch.banner = launch.wait_for(until)
        yield launch
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGTERM)
        run.wait(timeout=15)
