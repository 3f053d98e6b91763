"""A dead or hung Redis: a quick 503 in JSON, nothing lost, and recovery without a restart of the API."""

import logging
import signal
import time

import pytest

from tests.helpers import Actions, basic_header

UNAVAILABLE = {"error": "store_unavailable", "message": "the redis store this request needs is not answering; try again shortly"}


@pytest.fixture
def logged_in(make_app, own_redis):
    """An app on a Redis of this test's own, and a client logged in with a session."""
    actions = Actions(make_app(REDIS_URL=own_redis.url).test_client())
    assert actions.session_login().status_code == 200
    return actions


def timed_get(client, path, **kwargs):
    start = time.monotonic()
    response = client.get(path, **kwargs)
    return response, time.monotonic() - start


def test_hung_redis_is_a_503_within_2s_and_the_session_works_after_it_resumes(logged_in, own_redis):
    own_redis.signal(signal.SIGSTOP)
    try:
        response, took = timed_get(logged_in.client, "/api/session/me")
        assert response.status_code == 503
        assert response.get_json() == UNAVAILABLE
        assert response.headers["Retry-After"] == "2"
        assert took < 2
    finally:
        own_redis.signal(signal.SIGCONT)
    assert logged_in.client.get("/api/session/me").status_code == 200


def test_a_session_that_cannot_be_opened_is_one_logged_error_and_a_503(logged_in, own_redis, caplog):
    own_redis.stop()
    with caplog.at_level(logging.ERROR):
        response = logged_in.client.get("/api/session/me")
    assert response.status_code == 503
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == ["Exception on /api/session/me [GET]"]


def test_hung_redis_makes_health_degraded_within_2s(logged_in, own_redis):
    own_redis.signal(signal.SIGSTOP)
    try:
        response, took = timed_get(logged_in.client, "/api/health")
    finally:
        own_redis.signal(signal.SIGCONT)
    assert response.status_code == 503
    assert response.get_json()["status"] == "degraded" and response.get_json()["redis"] is False
    assert took < 2
    assert logged_in.client.get("/api/health").status_code == 200


def test_dead_redis_login_is_503_json_not_500(logged_in, own_redis):
    own_redis.stop()
    response = logged_in.session_login()
    assert response.status_code == 503
    assert response.get_json() == UNAVAILABLE


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/api/public", {}, 200),
        ("/api/echo", {}, 200),
        ("/api/basic/me", {}, 401),  # no credentials: nothing to throttle, the challenge needs no store
        ("/api/basic/me", basic_header("alice", "wonderland"), 503),  # fail closed: the throttle cannot be asked
    ],
    ids=["public", "echo", "basic-challenge", "basic-credentials"],
)
def test_dead_redis_only_stops_what_needs_it(logged_in, own_redis, path, headers, status):
    """The session cookie rides along everywhere, but only session routes open it; Basic needs the limiter."""
    own_redis.stop()
    response = logged_in.client.get(path, headers=headers)
    assert response.status_code == status
    if status == 503:
        assert response.get_json() == UNAVAILABLE


def test_sessions_survive_a_redis_restart_aof(logged_in, own_redis):
    own_redis.stop()  # SIGTERM: redis flushes its append-only file
    own_redis.start()
    assert logged_in.client.get("/api/session/me").status_code == 200


def test_sessions_survive_an_api_restart(make_app, redis_service):
    first = Actions(make_app().test_client())
    first.session_login()
    restarted = make_app().test_client()  # a new app object: nothing in process memory carries over
    restarted.set_cookie("session_id", first.session_id())
    assert restarted.get("/api/session/me").status_code == 200


@pytest.mark.parametrize(
    "attempt",
    [
        lambda actions: actions.client.get("/api/basic/me", headers=basic_header("alice", "wonderland")),
        lambda actions: actions.session_login(),
    ],
    ids=["basic", "session-login"],
)
@pytest.mark.parametrize("fault", ["stopped", "hung"])
def test_limiter_store_down_fails_closed_quickly_without_checking_the_password(logged_in, own_redis, hash_checks, attempt, fault):
    """No throttle, no password check: a dead limiter store must not open the door to unlimited guessing."""
    logged_in.client.delete_cookie("session_id")  # a fresh client: the session store is not asked first
    checked_before = len(hash_checks)
    if fault == "hung":
        own_redis.signal(signal.SIGSTOP)
    else:
        own_redis.stop()
    try:
        start = time.monotonic()
        response = attempt(logged_in)
        took = time.monotonic() - start
    finally:
        if fault == "hung":
            own_redis.signal(signal.SIGCONT)
    assert response.status_code == 503
    assert response.get_json() == UNAVAILABLE
    assert response.headers["Retry-After"] == "2"
    assert took < 2
    assert len(hash_checks) == checked_before


def test_a_503_from_a_dead_session_store_still_carries_cors_headers(logged_in, own_redis, app):
    """The page on frontend A must be able to read the 503; every after_request hook still runs."""
    origin = app.config["FRONTEND_A_ORIGIN"]
    own_redis.stop()
    response = logged_in.client.get("/api/session/me", headers={"Origin": origin})
    assert response.status_code == 503
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert "Origin" in response.headers["Vary"]
