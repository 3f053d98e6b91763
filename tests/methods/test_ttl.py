"""The demo's `ttl` at login: a credential a person can watch expire within a minute, for every method that expires.

Time is moved by hand: the server's clock (kernel/clock.py) for sessions and signed tokens, PyJWT's for JWTs,
and Redis's own expiry for opaque tokens (a record whose TTL ran out is a deleted key).
"""

import datetime
import time
from email.utils import parsedate_to_datetime

import jwt
import pytest
from itsdangerous import TimestampSigner

from backend.methods.opaque import record_key
from kernel import clock
from tests.helpers import access_token, assert_refused, bearer, token_login

EXPIRING = ["session", "token", "signed", "jwt"]  # Basic has no expiry: the password travels every time
BAD_TTLS = [9, 3601, "10", True, 10.5, None, -10, [10]]


@pytest.fixture
def held_clock(monkeypatch):
    """The server's clock held still at a whole second; `held_clock(s)` moves it (and PyJWT's) `s` seconds on."""
    start = float(int(time.time()))
    monkeypatch.setattr(clock, "now", lambda: start)

    class PyJwtClock(datetime.datetime):
        offset = 0

        @classmethod
        def now(cls, tz=None):
            return datetime.datetime.fromtimestamp(start + cls.offset, tz)

    monkeypatch.setattr(jwt.api_jwt, "datetime", PyJwtClock)

    def move(seconds):
        monkeypatch.setattr(clock, "now", lambda: start + seconds)
        PyJwtClock.offset = seconds

    return move


def login(client, method, **extra):
    return token_login(client, method, **extra)


def me(client, method, body):
    """`me` with what the login gave: the session cookie (in the client's jar) or the access token."""
    headers = bearer(body["access_token"]) if "access_token" in body else {}
    return client.get(f"/api/{method}/me", headers=headers)


@pytest.mark.parametrize("method", EXPIRING)
def test_a_ttl_of_ten_seconds_works_now_and_is_refused_ten_seconds_later(make_app, redis_db, held_clock, method):
    """The point of the field: log in with ttl=10, `me` works, 10 s on it is a 401 (and no record is left)."""
    client = make_app(JWT_LEEWAY=0).test_client()
    response = login(client, method, ttl=10)
    assert response.status_code == 200 and response.get_json()["expires_in"] == 10
    body = response.get_json()
    assert me(client, method, body).status_code == 200
    held_clock(5)
    assert me(client, method, body).status_code == 200
    if method == "token":
        record = record_key(body["access_token"])
        assert 0 < redis_db.pttl(record) <= 10_000  # Redis counts the 10 s down by itself
        redis_db.delete(record)  # what Redis does when that TTL runs out
    held_clock(10)
    refused = me(client, method, body)
    assert refused.status_code == 401 and refused.get_json()["error"] in ("unauthorized", "invalid_token")
    if method == "session":
        assert redis_db.keys("session:*") == []  # the expired record is deleted, not pushed back by that request


def test_a_session_ttl_is_its_record_ttl_and_the_cookie_expiry(client, redis_db, held_clock):
    """The record's Redis TTL runs out at the deadline (a `me` does not push it back to the idle timeout), and the
    cookie's Expires says the same."""
    response = client.post("/api/session/login", json={"username": "alice", "password": "wonderland", "ttl": 10})
    [cookie] = response.headers.getlist("Set-Cookie")
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0]).timestamp()
    assert expires == clock.now() + 10
    [record] = redis_db.keys("session:*")
    assert 9_000 < redis_db.pttl(record) <= 10_000
    held_clock(4)
    assert client.get("/api/session/me").status_code == 200
    assert 5_000 < redis_db.pttl(record) <= 6_000  # 6 s left, not the 1800 s of the idle timeout


def test_a_signed_token_carries_its_own_exp_and_never_outlives_token_ttl(make_app, monkeypatch):
    """The `exp` in the signed payload ends it early; TOKEN_TTL (the signature's max_age) still bounds it."""
    client = make_app(TOKEN_TTL=60).test_client()
    body = login(client, "signed", ttl=3600).get_json()
    assert body["expires_in"] == 60  # asked for an hour, got the configured minute
    later = int(time.time()) + 61
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda signer: later)
    assert_refused(client, "signed", body["access_token"], "the token is older than 60 seconds")


def test_a_signed_token_past_its_own_exp_says_so(client, held_clock):
    token = access_token(client, "signed", ttl=10)
    held_clock(10)
    assert_refused(client, "signed", token, "the token has passed its own `exp` (the shorter ttl it was minted with)")


def test_a_jwt_ttl_shortens_the_access_token_only(client, app):
    """The access token's `exp` is ttl seconds after `iat`; the refresh token keeps JWT_REFRESH_TTL, so a refresh
    after the access token expired still buys a new (default-length) pair: that is how a JWT login lasts."""
    body = login(client, "jwt", ttl=10).get_json()
    access = jwt.decode(body["access_token"], options={"verify_signature": False})
    refresh = jwt.decode(body["refresh_token"], options={"verify_signature": False})
    assert access["exp"] - int(access["iat"]) == 10 and body["expires_in"] == 10
    assert refresh["exp"] - int(refresh["iat"]) == app.config["JWT_REFRESH_TTL"]
    renewed = client.post("/api/jwt/refresh", json={"refresh_token": body["refresh_token"]}).get_json()
    assert renewed["expires_in"] == app.config["JWT_ACCESS_TTL"]


@pytest.mark.parametrize("method", EXPIRING)
def test_a_ttl_never_extends_the_configured_lifetime(make_app, redis_db, method):
    """ttl=3600 against shorter configured lifetimes: the credential gets the configured one, not an hour."""
    client = make_app(TOKEN_TTL=60, JWT_ACCESS_TTL=30, SESSION_IDLE_TIMEOUT=45).test_client()
    body = login(client, method, ttl=3600).get_json()
    assert body["expires_in"] == {"session": 45, "token": 60, "signed": 60, "jwt": 30}[method]
    if method in ("session", "token"):
        [record] = redis_db.keys(f"{method}:*")
        assert 0 < redis_db.ttl(record) <= body["expires_in"]


@pytest.mark.parametrize("method", EXPIRING)
@pytest.mark.parametrize("ttl", BAD_TTLS, ids=repr)
def test_a_ttl_out_of_range_or_not_an_integer_is_a_400(client, method, ttl):
    response = login(client, method, ttl=ttl)
    assert response.status_code == 400
    assert response.get_json() == {"error": "invalid_request", "message": "`ttl` must be an integer from 10 to 3600"}


@pytest.mark.parametrize("method", EXPIRING)
def test_a_ttl_given_as_a_whole_float_counts_as_an_integer(client, method):
    """JSON Schema's "integer" includes 10.0 (a number with no fraction), as `padding` does."""
    assert login(client, method, ttl=10.0).get_json()["expires_in"] == 10


@pytest.mark.parametrize("method", EXPIRING)
@pytest.mark.parametrize("ttl", [10, "not even a number"])
def test_with_the_demo_options_off_a_ttl_is_ignored(make_app, method, ttl):
    """Like the cookie options, the field is a demo choice: off, the configured lifetime applies, whatever it says."""
    app = make_app(DEMO_COOKIE_OPTIONS=False)
    response = login(app.test_client(), method, ttl=ttl)
    assert response.status_code == 200
    configured = {"token": "TOKEN_TTL", "signed": "TOKEN_TTL", "jwt": "JWT_ACCESS_TTL"}
    if method == "session":
        assert "expires_in" not in response.get_json()  # an ordinary session: idle and absolute timeouts only
    else:
        assert response.get_json()["expires_in"] == app.config[configured[method]]


def test_a_session_with_a_ttl_pays_a_second_round_trip_per_request(client):
    """GETEX restarts the idle TTL before the record is read; a deadline that comes sooner costs a PEXPIRE after it,
    and Server-Timing says so (an ordinary session `me` is one round trip)."""
    client.post("/api/session/login", json={"username": "alice", "password": "wonderland", "ttl": 10})
    assert 'redis;desc="2 round trips' in client.get("/api/session/me").headers["Server-Timing"]


def test_a_session_ttl_holds_in_the_per_process_store_too(make_app, held_clock):
    """SESSION_STORE=memory (the multi-server demo) keeps the same deadline."""
    client = make_app(SESSION_STORE="memory").test_client()
    body = login(client, "session", ttl=10).get_json()
    assert body["expires_in"] == 10 and client.get("/api/session/me").status_code == 200
    held_clock(10)
    assert client.get("/api/session/me").status_code == 401
