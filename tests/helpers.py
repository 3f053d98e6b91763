"""Small actions the tests repeat (imported, unlike conftest)."""

import base64
import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


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
