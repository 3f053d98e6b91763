"""Server-Timing on every response: the app's time and the Redis round trips of this very request."""

import re

import pytest

from kernel.stores import redis_client
from tests.helpers import basic_header, bearer, redis_commands, token_login

TIMING = re.compile(r'^auth;dur=(?P<ms>\d+\.\d\d), redis;desc="(?P<trips>\d+) round trips?(?: \(\+\d+ to connect\))?"$')


def timing(response):
    """(milliseconds, round trips) from the response's Server-Timing."""
    found = TIMING.match(response.headers["Server-Timing"])
    assert found, response.headers["Server-Timing"]
    return float(found["ms"]), int(found["trips"])


@pytest.fixture
def warm(client):
    """A client whose pool already holds a connection (so the handshake is not in the counts below)."""
    client.get("/api/health")
    return client


def test_session_me_shows_one_round_trip(warm, redis_db):
    """GETEX reads the session and restarts its idle TTL: one round trip, as the server's own counter agrees."""
    warm.post("/api/session/login", json={"username": "alice", "password": "wonderland"})
    before = redis_commands(redis_db)
    response = warm.get("/api/session/me")
    assert response.status_code == 200
    assert timing(response)[1] == 1 == redis_commands(redis_db) - before - 1  # INFO counts itself


def test_signed_token_me_shows_zero(warm):
    token = token_login(warm, "signed").get_json()["access_token"]
    response = warm.get("/api/signed/me", headers=bearer(token))
    assert response.status_code == 200 and timing(response)[1] == 0


def test_basic_shows_its_password_hash_time(warm):
    """Basic's scrypt check on every request is plain to see: far slower than a request that checks nothing."""
    basic = warm.get("/api/basic/me", headers=basic_header("alice", "wonderland"))
    public = warm.get("/api/public")
    assert basic.status_code == 200
    assert timing(basic)[0] > 10 * max(timing(public)[0], 0.1)
    assert timing(public)[1] == 0


def test_errors_carry_it_too_and_the_frontends_may_read_it(app, warm):
    """A 401 costs something too; Timing-Allow-Origin and CORS let both frontends' scripts read the header."""
    origin = app.config["FRONTEND_B_ORIGIN"]
    response = warm.get("/api/token/me", headers={**bearer("nope"), "Origin": origin})
    assert response.status_code == 401 and timing(response)[1] == 1
    assert response.headers["Timing-Allow-Origin"] == ", ".join(app.config["CORS_ORIGINS"])
    assert "server-timing" in response.headers["Access-Control-Expose-Headers"].lower()


def test_with_the_demo_options_off_it_costs_nothing(make_app):
    """A demo feature: off, there is no header and no counting connection at all (the pool's class is redis-py's)."""
    app = make_app(DEMO_COOKIE_OPTIONS=False)
    response = app.test_client().get("/api/public")
    assert response.status_code == 200
    assert "Server-Timing" not in response.headers and "Timing-Allow-Origin" not in response.headers
    assert redis_client.pooled(app).connection_pool.connection_class.__name__ != "CountingConnection"
