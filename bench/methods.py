"""What is measured: the baseline and each method's `me` endpoint, and how a client gets each credential."""

import base64
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

USER, PASSWORD = "alice", "wonderland"
TIMEOUT = 10

# Redis round trips a request of each kind needs. A password (Basic) needs two, for its rate limit: the count before
# the hash (one script, so that parallel guesses cannot outrun it) and a right password's per-name refund.
ROUND_TRIPS = {"baseline": 0, "password": 2, "stateless": 0, "redis": 1}


class Unavailable(Exception):
    """The running API does not offer this method (yet): it is reported as missing, not measured."""


@dataclass(frozen=True)
class Credential:
    """What the client sends on every request, and the credential's size when it was issued."""

    headers: dict
    issued_bytes: int | None = None  # the value the client stores (token, cookie value); None if nothing is issued
    set_cookie_bytes: int | None = None  # the whole Set-Cookie header line, where the credential is a cookie
    issued_as: str = "nothing"


@dataclass(frozen=True)
class Peer:
    """The usual way to do what a method does: an app under bench/peers/, served like authlab, and its login."""

    key: str
    label: str
    factory: str  # "package.module:function", as a WSGI server takes it
    obtain: Callable[[str, str], Credential] = field(repr=False)  # (peer_url, issuer_url) -> Credential


@dataclass(frozen=True)
class Method:
    """One row of the table: a `me` endpoint, how to log in for it, and which API configuration serves it."""

    key: str
    label: str
    path: str
    kind: str  # baseline | password | stateless | redis
    obtain: Callable[[str, str], Credential] = field(repr=False)  # (api_url, issuer_url) -> Credential
    server: str = "main"  # the API configuration (see SERVERS) whose instance answers it
    peer: Peer | None = None  # the usual way it is measured against (None: no library does it alike)
    repeats: str | None = None  # the row whose `me` this one measures again, beside a second usual way

    @property
    def round_trips(self):
        return ROUND_TRIPS[self.kind]


def _post(base, path, body):
    """POST JSON; a 404 or 405 means the API has no such method."""
    response = requests.post(base + path, json=body, timeout=TIMEOUT)
    if response.status_code in (404, 405):
        raise Unavailable(f"POST {path} -> {response.status_code}")
    response.raise_for_status()
    return response


def nothing(api, issuer):
    """The baseline presents no credential."""
    return Credential({})


def basic(api, issuer):
    """Basic sends the password itself, base64-encoded, on every request; nothing is issued."""
    value = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return Credential({"Authorization": value}, issued_as="password (sent every time)")


def session(api, issuer):
    """Log in once; the server keeps the session in Redis and sets a cookie holding only its ID."""
    response = _post(api, "/api/session/login", {"username": USER, "password": PASSWORD})
    value = response.cookies["session_id"]
    set_cookie = response.headers["Set-Cookie"]
    return Credential({"Cookie": f"session_id={value}"}, len(value), len(f"Set-Cookie: {set_cookie}\r\n"), "cookie")


def _bearer(token):
    return Credential({"Authorization": f"Bearer {token}"}, len(token), issued_as="bearer token")


def login_token(prefix):
    """A login that answers with an access token in the body (opaque, signed and JWT alike)."""

    def obtain(api, issuer):
        body = {"username": USER, "password": PASSWORD, "transport": "header"}
        return _bearer(_post(api, f"{prefix}/login", body).json()["access_token"])

    obtain.__doc__ = f"POST {prefix}/login, then present the access token as a Bearer header."
    return obtain


def peer_login(api, issuer):
    """POST a peer's /login; its session cookie or access token is the credential."""
    response = _post(api, "/login", {"username": USER, "password": PASSWORD})
    if "session" in response.cookies:
        return Credential({"Cookie": f"session={response.cookies['session']}"}, issued_as="cookie")
    return _bearer(response.json()["access_token"])


def issuer_token(api, issuer):
    """A JWT from the separate issuer (the "third-party" IdP); the API verifies it with the issuer's JWKS."""
    if not issuer:
        raise Unavailable("no issuer process in this run")
    return _bearer(_post(issuer, "/token", {"username": USER, "password": PASSWORD}).json()["access_token"])


def _peer(key, label, module, function="create_app", obtain=peer_login):
    return Peer(key, label, f"bench.peers.{module}:{function}", obtain)


PEERS = {
    "public": _peer("bare", "bare Flask", "bare", obtain=nothing),
    "basic": _peer("httpauth_basic", "Flask-HTTPAuth + scrypt", "httpauth_basic", obtain=basic),
    "session": _peer("session_login", "Flask-Session + Flask-Login, defaults", "session_login"),
    "session_no_write_back": _peer("session_no_write_back", "Flask-Session (no write-back) + Flask-Login",
                                   "session_login", "create_app_without_write_back"),
    "token": _peer("httpauth_token", "Flask-HTTPAuth token + Redis GET", "httpauth_token"),
    "signed": _peer("itsdangerous", "itsdangerous in before_request", "itsdangerous_token"),
    "jwt": _peer("jwt_blocklist", "flask-jwt-extended + Redis blocklist", "jwt_extended", "with_blocklist"),
    "jwt_norevoke": _peer("jwt_extended", "flask-jwt-extended", "jwt_extended"),
}

def obtain_for(method):
    """How a client gets a registered method's credential: a password, a session cookie or a bearer token."""
    if method.auth is not None:
        return login_token(method.prefix)
    return session if method.opens_session else basic


def _registered():
    """One row per method in the API's registry, as the main configuration serves it, beside its peer."""
    from backend.methods import REGISTRY

    return tuple(Method(m.name, m.label, f"{m.prefix}/me", m.kind, obtain_for(m), peer=PEERS.get(m.name))
                 for m in REGISTRY)


METHODS = (
    Method("public", "/api/public (baseline)", "/api/public", "baseline", nothing, peer=PEERS["public"]),
    *_registered(),
    # The session against its best usual way too: Flask-Session without writing the session back on each request.
    Method("session_no_write_back", "session, vs no write-back", "/api/session/me", "redis", session,
           peer=PEERS["session_no_write_back"], repeats="session"),
    Method("jwt_norevoke", "JWT, revocation off", "/api/jwt/me", "stateless", login_token("/api/jwt"), "norevoke",
           PEERS["jwt_norevoke"]),
    # The issuer's tokens pass the same revocation check as ours (logout-all): one MGET with it on.
    Method("issuer", "issuer JWT (JWKS, rev. on)", "/api/jwt/me", "redis", issuer_token),
)

# The primitives (bench/inproc.py's `primitives`) each method must pay per request: its auth cost's floor.
FLOORS = {
    "basic": ("scrypt",),
    "session": ("redis_round_trip",),
    "session_no_write_back": ("redis_round_trip",),
    "token": ("redis_round_trip",),
    "signed": ("hmac_sha1",),
    "jwt": ("hmac_sha256", "redis_round_trip"),
    "jwt_norevoke": ("hmac_sha256",),
    "issuer": ("rsa_verify", "redis_round_trip"),
}

# API configurations the methods need: name -> environment on top of the bench's own.
SERVERS = {"main": {"JWT_REVOCATION_CHECK": "on"}, "norevoke": {"JWT_REVOCATION_CHECK": "off"}}
