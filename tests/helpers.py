"""Small actions the tests repeat (imported, unlike conftest)."""

import base64
import contextlib
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from jwt.algorithms import RSAAlgorithm
from jwt.utils import base64url_encode


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
