"""`POST /api/logout-all`: authenticated by any method, it ends every login of that user and no one else's."""

import pytest
import requests

from tests.helpers import BEARER_METHODS, SESSION_COOKIE, Actions, basic_header, bearer, token_login

CHALLENGE = 'Bearer realm="auth-demo"'


class Logins:
    """One user logged in every way at once, each in a client of its own; `statuses()` probes them all."""

    def __init__(self, app, issuer, username, password):
        self.app, self.username = app, username
        self.session = Actions(app.test_client())
        self.csrf = self.session.session_login(username, password).get_json()["csrf_token"]
        self.cookie_client = app.test_client()
        self.cookie_csrf = token_login(self.cookie_client, "token", username, password,
                                       transport="cookie").get_json()["csrf_token"]
        self.tokens = {m: token_login(app.test_client(), m, username, password).get_json() for m in BEARER_METHODS}
        issued = requests.post(f"{issuer.origin}/token", json={"username": username, "password": password}, timeout=5)
        self.issuer_token = issued.json()["access_token"]

    def statuses(self):
        client = self.app.test_client()
        return {
            "session": self.session.client.get("/api/session/me").status_code,
            "opaque cookie": self.cookie_client.get("/api/token/me").status_code,
            "opaque": client.get("/api/token/me", headers=bearer(self.tokens["token"]["access_token"])).status_code,
            "jwt": client.get("/api/jwt/me", headers=bearer(self.tokens["jwt"]["access_token"])).status_code,
            "issuer jwt": client.get("/api/jwt/me", headers=bearer(self.issuer_token)).status_code,
            "refresh": client.post("/api/jwt/refresh",
                                   json={"refresh_token": self.tokens["jwt"]["refresh_token"]}).status_code,
            "signed": client.get("/api/signed/me", headers=bearer(self.tokens["signed"]["access_token"])).status_code,
        }


ALL_ALIVE = {"session": 200, "opaque cookie": 200, "opaque": 200, "jwt": 200, "issuer jwt": 200, "refresh": 200,
             "signed": 200}
ALL_ENDED = {**dict.fromkeys(ALL_ALIVE, 401), "signed": 200}  # signed tokens have no record: they live on


@pytest.fixture
def api(make_app, issuer):
    return make_app(ISSUER_ORIGIN=issuer.origin)


@pytest.fixture
def alice(api, issuer):
    return Logins(api, issuer, "alice", "wonderland")


def logout_all_by(alice, how):
    """POST /api/logout-all proven by one method."""
    if how == "basic":
        return alice.app.test_client().post("/api/logout-all", headers=basic_header("alice", "wonderland"))
    if how == "session cookie":
        return alice.session.client.post("/api/logout-all", headers={"X-CSRF-Token": alice.csrf})
    if how == "opaque cookie":
        return alice.cookie_client.post("/api/logout-all", headers={"X-CSRF-Token": alice.cookie_csrf})
    if how == "issuer jwt":
        return alice.app.test_client().post("/api/logout-all", headers=bearer(alice.issuer_token))
    return alice.app.test_client().post("/api/logout-all", headers=bearer(alice.tokens[how]["access_token"]))


@pytest.mark.parametrize("how", ["basic", "session cookie", "opaque cookie", "token", "signed", "jwt", "issuer jwt"])
def test_logout_all_by_any_method_ends_every_login_but_signed_tokens(api, issuer, alice, how):
    bob = Logins(api, issuer, "bob", "builder")
    assert alice.statuses() == ALL_ALIVE
    response = logout_all_by(alice, how)
    assert response.status_code == 200
    assert alice.statuses() == ALL_ENDED
    assert bob.statuses() == ALL_ALIVE  # nobody else is touched


def test_the_answer_says_what_ended_and_what_did_not(alice):
    response = logout_all_by(alice, "basic")
    assert response.status_code == 200
    body = response.get_json()
    assert body == {
        "user": "alice",
        "ended": 4,  # the session, two opaque tokens, one refresh family
        "jwts_issued_before": body["jwts_issued_before"],
        "message": "every session, opaque token and refresh family of this user is ended and older JWTs are refused; "
        "signed tokens have no server record and stay valid until they expire",
    }


def test_logging_in_again_afterwards_works_at_once(api, alice):
    logout_all_by(alice, "basic")
    client = api.test_client()
    fresh = token_login(client, "jwt").get_json()["access_token"]  # within the same millisecond, still "after"
    assert client.get("/api/jwt/me", headers=bearer(fresh)).status_code == 200
    assert Actions(api.test_client()).session_login().status_code == 200


def test_the_session_cookie_is_expired_in_the_answer(alice):
    response = logout_all_by(alice, "session cookie")
    assert any(c.startswith(f"{SESSION_COOKIE}=;") and "Expires=Thu, 01 Jan 1970" in c
               for c in response.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize(
    ("headers", "status", "challenge"),
    [
        ({}, 401, CHALLENGE),
        (basic_header("alice", "wrong"), 401, CHALLENGE),
        (bearer("junk"), 401, CHALLENGE + ', error="invalid_token"'),
    ],
    ids=["nothing", "wrong-basic", "junk-bearer"],
)
def test_without_valid_credentials_nothing_ends(api, alice, headers, status, challenge):
    response = api.test_client().post("/api/logout-all", headers=headers)
    assert response.status_code == status
    assert response.headers["WWW-Authenticate"] == challenge  # never Basic: a browser would prompt forever
    assert alice.statuses() == ALL_ALIVE


@pytest.mark.parametrize("how", ["session cookie", "opaque cookie"])
def test_cookie_authenticated_logout_all_needs_the_csrf_token(alice, how):
    client = alice.session.client if how == "session cookie" else alice.cookie_client
    response = client.post("/api/logout-all")
    assert response.status_code == 403
    assert response.get_json()["error"] == "csrf_failed"
    assert alice.statuses() == ALL_ALIVE


def test_dead_redis_is_a_503_json(make_app, own_redis):
    client = make_app(REDIS_URL=own_redis.url).test_client()
    own_redis.stop()
    response = client.post("/api/logout-all", headers=basic_header("alice", "wonderland"))
    assert response.status_code == 503
    assert response.get_json()["error"] == "store_unavailable"
