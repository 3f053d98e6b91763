"""The authorization server in this process on the tests' real Redis, a browser-like client for it, and the flow's
steps as actions (login, authorize, redeem, refresh)."""

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest

from issuer import create_app as create_issuer
from kernel import clock
from kernel.stores import redis_client

BFF_SECRET = "test-bff-a-client-secret-0123456789abcdef"
A_REDIRECT = "http://localhost:8001/"


def challenge(verifier):
    """RFC 7636 §4.2: BASE64URL(SHA256(verifier)), unpadded."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def query(response):
    """The parameters of a redirect's Location."""
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


class Flow:
    """The steps of code + PKCE, against one test client (one browser: it keeps the AS session cookie)."""

    def __init__(self, client):
        self.client = client

    def login(self, username="alice", password="wonderland", next_="/"):
        page = self.client.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True)).group(1)
        return self.client.post("/login", data={"username": username, "password": password, "csrf": csrf,
                                                "next": next_})

    def signed_in(self, username="alice"):
        """The AS session the login page sets, without its password check (scrypt, ~0.1 s): for tests of what
        follows a login (the login itself has its own tests)."""
        with self.client.session_transaction() as session:
            session.update(user=username, auth_time=clock.now(), csrf="test-csrf")

    def authorize(self, client_id="authlab-a", redirect_uri=A_REDIRECT, verifier=None, **params):
        """GET /authorize with an S256 challenge of `verifier` (None: a fresh one); params add or override (None
        drops one)."""
        self.verifier = verifier or secrets.token_urlsafe(48)
        args = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "state": "s-1",
                "code_challenge": challenge(self.verifier), "code_challenge_method": "S256", **params}
        return self.client.get("/authorize", query_string={k: v for k, v in args.items() if v is not None})

    def code(self, **params):
        """A fresh code for alice (signed in first), and its verifier in .verifier."""
        self.signed_in()
        response = self.authorize(**params)
        assert response.status_code == 302, response.get_data(as_text=True)
        return query(response)["code"]

    def token(self, **form):
        """POST /token with this form (None drops a field)."""
        return self.client.post("/token", data={k: v for k, v in form.items() if v is not None})

    def redeem(self, code, client_id="authlab-a", redirect_uri=A_REDIRECT, verifier=None, **extra):
        return self.token(grant_type="authorization_code", code=code, client_id=client_id, redirect_uri=redirect_uri,
                          code_verifier=verifier or self.verifier, **extra)

    def tokens(self, **params):
        """A fresh token response (code flow for authlab-a), as JSON."""
        response = self.redeem(self.code(**params))
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def refresh(self, refresh_token, client_id="authlab-a", **extra):
        return self.token(grant_type="refresh_token", refresh_token=refresh_token, client_id=client_id, **extra)


@pytest.fixture
def make_issuer(redis_service, redis_db):
    """An AS app on the tests' emptied Redis with config overrides (EdDSA: key pairs in microseconds)."""
    apps = []

    def make(**overrides):
        config = {"REDIS_URL": redis_service.url, "ISSUER_ALGORITHM": "EdDSA", "BFF_A_CLIENT_SECRET": BFF_SECRET,
                  **overrides}
        apps.append(create_issuer(config))
        return apps[-1]

    yield make
    for app in apps:
        redis_client.pooled(app).close()


@pytest.fixture
def as_app(make_issuer):
    return make_issuer()


@pytest.fixture
def flow(as_app):
    return Flow(as_app.test_client())


@pytest.fixture
def make_flow(make_issuer):
    """A Flow on an AS of its own configuration."""
    return lambda **overrides: Flow(make_issuer(**overrides).test_client())


@pytest.fixture
def clock_at(monkeypatch):
    """Move the one clock (kernel/clock.py) by hand: clock_at(t) sets it to t seconds since the epoch."""
    import kernel.clock

    def set_to(seconds):
        monkeypatch.setattr(kernel.clock, "now", lambda: seconds)

    return set_to
