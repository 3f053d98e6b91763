"""A dead or hung Redis: a quick 503 in JSON, nothing lost, and recovery without a restart of the API."""

import contextlib
import logging
import signal
import time

import pytest

from tests.helpers import SESSION_COOKIE, Actions, basic_header

UNAVAILABLE = {"error": "store_unavailable",
               "message": "the redis store this request needs is not answering; try again shortly"}


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
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [
        "Exception on /api/session/me [GET]"]


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
        ("/api/basic/me", basic_header("alice", "wonderland"), 200),  # counted in process memory meanwhile
    ],
    ids=["public", "echo", "basic-challenge", "basic-credentials"],
)
def test_dead_redis_only_stops_what_needs_it(logged_in, own_redis, path, headers, status):
    """The session cookie rides along everywhere, but only session routes open it; Basic needs no store at all."""
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
    restarted.set_cookie(SESSION_COOKIE, first.session_id())
    assert restarted.get("/api/session/me").status_code == 200


@contextlib.contextmanager
def redis_out(own_redis, fault):
    """Redis stopped, or hung (SIGSTOP) until the block ends."""
    if fault == "hung":
        own_redis.signal(signal.SIGSTOP)
    else:
        own_redis.stop()
    try:
        yield
    finally:
        if fault == "hung":
            own_redis.signal(signal.SIGCONT)


STATELESS_LOGINS = {
    "basic": lambda client, password: client.get("/api/basic/me", headers=basic_header("alice", password)),
    "signed-login": lambda client, password: client.post(
        "/api/signed/login", json={"username": "alice", "password": password}),
}


@pytest.mark.parametrize("attempt", STATELESS_LOGINS.values(), ids=STATELESS_LOGINS)
@pytest.mark.parametrize("fault", ["stopped", "hung"])
def test_redis_down_stateless_logins_keep_working_with_per_process_limits(make_app, own_redis, attempt, fault):
    """Basic and signed tokens need no store: with Redis out they answer, throttled in this process's memory."""
    client = make_app(REDIS_URL=own_redis.url, LOGIN_USER_LIMIT="3/minute").test_client()
    with redis_out(own_redis, fault):
        start = time.monotonic()
        first = attempt(client, "wonderland")
        took = time.monotonic() - start
        failures = [attempt(client, "wrong").status_code for _ in range(3)]
        locked = attempt(client, "wonderland")
    assert first.status_code == 200 and took < 2  # one Redis timeout at most, then memory for a while
    assert failures == [401] * 3
    assert locked.status_code == 429 and locked.get_json()["error"] == "rate_limited"


@pytest.mark.parametrize("fault", ["stopped", "hung"])
def test_redis_down_a_login_that_needs_it_is_a_quick_503_without_checking_the_password(logged_in, own_redis,
                                                                                       hash_checks, fault):
    """A session login could not be recorded anyway: no hash is spent on it, and one Redis timeout at most."""
    logged_in.client.delete_cookie(SESSION_COOKIE)  # a fresh client: the session store is not asked first
    checked_before = len(hash_checks)
    with redis_out(own_redis, fault):
        start = time.monotonic()
        response = logged_in.session_login()
        took = time.monotonic() - start
    assert response.status_code == 503 and response.get_json() == UNAVAILABLE
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
