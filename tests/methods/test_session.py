"""Server-side sessions in Redis (backend/methods/session.py): the browser holds only a random ID."""

import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import msgspec
import pytest

from kernel import clock
from tests.helpers import SESSION_COOKIE, Actions, basic_header

SID_CHARS = 43  # secrets.token_urlsafe(32): 256 random bits


def set_cookie_headers(response):
    return response.headers.getlist("Set-Cookie")


def test_login_sets_only_a_random_id_in_an_httponly_lax_cookie(actions):
    response = actions.session_login()
    assert response.status_code == 200
    body = response.get_json()
    assert body == {
        "user": "alice",
        "method": "session",
        "role": "user",
        "csrf_token": body["csrf_token"],
        "cookie": {"samesite": "Lax", "secure": False, "partitioned": False},
        "viewer": body["viewer"],
    }
    [cookie] = set_cookie_headers(response)
    sid = actions.session_id()
    assert len(sid) >= SID_CHARS and "alice" not in cookie
    assert cookie.startswith(f"{SESSION_COOKIE}={sid};")
    assert "HttpOnly" in cookie and "Path=/" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_the_session_object_lives_in_redis_with_a_ttl(actions, redis_db, app):
    actions.session_login()
    key = f"session:{actions.session_id()}"
    stored = msgspec.msgpack.decode(redis_db.get(key))
    assert stored["_user_id"] == "alice"
    assert 0 < redis_db.ttl(key) <= app.config["SESSION_IDLE_TIMEOUT"]


def test_me_answers_from_the_session(actions, client):
    login = actions.session_login("bob", "builder").get_json()
    response = client.get("/api/session/me")
    assert response.status_code == 200
    assert response.get_json() == {"user": "bob", "method": "session", "role": "user",
                                   "csrf_token": login["csrf_token"]}


def test_me_without_a_session_is_401_json_without_basic_challenge(client):
    response = client.get("/api/session/me")
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert "WWW-Authenticate" not in response.headers


@pytest.mark.parametrize(("username", "password"), [("alice", "wrong"), ("nobody", "wonderland")])
def test_unknown_user_and_wrong_password_answer_identically(actions, username, password):
    response = actions.session_login(username, password)
    assert response.status_code == 401
    assert response.get_json() == {"error": "invalid_credentials", "message": "wrong username or password"}
    assert "WWW-Authenticate" not in response.headers
    assert set_cookie_headers(response) == []


def test_unknown_user_still_pays_for_a_password_hash_check(actions, monkeypatch):
    """Response time must not reveal who exists: an unknown name is checked against a dummy hash."""
    import kernel.users as users

    checked = []
    real = users.check_password_hash
    monkeypatch.setattr(users, "check_password_hash", lambda h, pw: checked.append(h) or real(h, pw))
    actions.session_login("nobody", "whatever")
    assert len(checked) == 1 and checked[0].startswith("scrypt:")


def test_logout_deletes_the_record_expires_the_cookie_and_the_old_cookie_is_dead(actions, client, redis_db):
    csrf = actions.session_login().get_json()["csrf_token"]
    sid = actions.session_id()
    response = actions.session_logout(csrf)
    assert response.status_code == 204
    [cookie] = set_cookie_headers(response)
    assert cookie.startswith(f"{SESSION_COOKIE}=;") and "Expires=Thu, 01 Jan 1970" in cookie
    assert redis_db.exists(f"session:{sid}") == 0
    client.set_cookie(SESSION_COOKIE, sid)  # replay the old cookie
    assert client.get("/api/session/me").status_code == 401


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({}, "csrf_failed"),
        ({"X-CSRF-Token": "wrong"}, "csrf_failed"),
        ({"X-CSRF-Token": None, "Origin": "http://evil.example"}, "origin_not_allowed"),
        ({"X-CSRF-Token": None, "Origin": "null"}, "origin_not_allowed"),
    ],
    ids=["no-token", "wrong-token", "foreign-origin", "null-origin"],
)
def test_logout_without_csrf_token_or_from_foreign_origin_is_403(actions, client, headers, error):
    csrf = actions.session_login().get_json()["csrf_token"]
    headers = {k: (csrf if v is None else v) for k, v in headers.items()}
    response = client.post("/api/session/logout", headers=headers)
    assert response.status_code == 403
    assert response.get_json()["error"] == error
    assert client.get("/api/session/me").status_code == 200  # nothing was changed


def test_logout_from_an_allowed_frontend_origin_works(actions, app):
    csrf = actions.session_login().get_json()["csrf_token"]
    assert actions.session_logout(csrf, Origin=app.config["FRONTEND_A_ORIGIN"]).status_code == 204


def test_login_from_a_foreign_origin_is_403(actions):
    response = actions.session_login(headers={"Origin": "http://evil.example"})
    assert response.status_code == 403
    assert set_cookie_headers(response) == []


def test_fixation_a_chosen_id_is_never_adopted(actions, client, redis_db):
    client.set_cookie(SESSION_COOKIE, "attacker-chosen-id")
    actions.session_login()
    assert actions.session_id() != "attacker-chosen-id"
    assert redis_db.exists("session:attacker-chosen-id") == 0
    client.set_cookie(SESSION_COOKIE, "attacker-chosen-id")
    assert client.get("/api/session/me").status_code == 401


def test_fixation_a_planted_valid_id_is_replaced_and_killed(app, redis_db):
    attacker = Actions(app.test_client())
    attacker.session_login("bob", "builder")
    planted = attacker.session_id()
    victim = Actions(app.test_client())
    victim.client.set_cookie(SESSION_COOKIE, planted)
    victim.session_login("alice", "wonderland")
    assert victim.session_id() != planted
    assert redis_db.exists(f"session:{planted}") == 0
    assert attacker.client.get("/api/session/me").status_code == 401


def test_login_again_issues_a_new_id_and_the_old_one_dies(actions, client):
    actions.session_login()
    first = actions.session_id()
    actions.session_login()
    second = actions.session_id()
    assert second != first
    client.set_cookie(SESSION_COOKIE, first)
    assert client.get("/api/session/me").status_code == 401


def test_idle_timeout_slides_with_activity_then_expires(make_app, redis_db):
    """Each request restarts the record's idle TTL in Redis; when the TTL runs out (expired here), the session is
    gone."""
    actions = Actions(make_app(SESSION_IDLE_TIMEOUT=30).test_client())
    actions.session_login()
    record = f"session:{actions.session_id()}"
    for _ in range(3):
        redis_db.expire(record, 5)  # time passes: 25 of the 30 idle seconds are gone
        assert actions.client.get("/api/session/me").status_code == 200
        assert 29 <= redis_db.ttl(record) <= 30  # ...and the request restarted the idle clock
    redis_db.delete(record)  # the idle TTL ran out: Redis dropped the record
    assert actions.client.get("/api/session/me").status_code == 401


@pytest.mark.real_time
def test_real_time_idle_timeout_expires_on_the_wall_clock(make_app):
    """The one session test that waits: Redis itself expires an idle record, no test hand involved."""
    actions = Actions(make_app(SESSION_IDLE_TIMEOUT=1).test_client())
    actions.session_login()
    time.sleep(0.5)
    assert actions.client.get("/api/session/me").status_code == 200  # restarts the 1 s idle clock
    time.sleep(1.3)
    assert actions.client.get("/api/session/me").status_code == 401


def test_absolute_timeout_ends_even_an_active_session(make_app, monkeypatch):
    actions = Actions(make_app(SESSION_IDLE_TIMEOUT=60, SESSION_ABSOLUTE_TIMEOUT=2).test_client())
    start = float(int(time.time()))  # the server's clock, held still from here on and moved by hand
    monkeypatch.setattr(clock, "now", lambda: start)
    response = actions.session_login()
    [cookie] = set_cookie_headers(response)
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    assert 0 < (expires - datetime.now(UTC)).total_seconds() <= 2
    assert actions.client.get("/api/session/me").status_code == 200
    monkeypatch.setattr(clock, "now", lambda: start + 1)
    assert actions.client.get("/api/session/me").status_code == 200  # active, and within the 2 s
    monkeypatch.setattr(clock, "now", lambda: start + 2.5)
    assert actions.client.get("/api/session/me").status_code == 401  # active or not, its 2 s are over


@pytest.mark.parametrize(
    ("options", "attributes"),
    [
        ({"samesite": "Strict"}, ["SameSite=Strict"]),
        ({"samesite": "None"}, ["SameSite=None", "Secure"]),
        ({"samesite": "None", "partitioned": True}, ["SameSite=None", "Secure", "Partitioned"]),
        ({"partitioned": True}, ["SameSite=Lax", "Secure", "Partitioned"]),
    ],
)
def test_demo_cookie_options_per_login(actions, options, attributes):
    response = actions.session_login(**options)
    assert response.status_code == 200
    [cookie] = set_cookie_headers(response)
    assert all(attribute in cookie.split("; ") for attribute in attributes)


def test_logout_expires_a_partitioned_cookie_with_partitioned(actions):
    csrf = actions.session_login(samesite="None", partitioned=True).get_json()["csrf_token"]
    [cookie] = set_cookie_headers(actions.session_logout(csrf))
    assert "Partitioned" in cookie and "SameSite=None" in cookie


@pytest.mark.parametrize("options", [{"samesite": "lax-ish"}, {"samesite": 3}, {"partitioned": "yes"}])
def test_bad_cookie_options_are_400(actions, options):
    response = actions.session_login(**options)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


def test_cookie_options_off_for_a_real_deployment(make_app):
    actions = Actions(make_app(DEMO_COOKIE_OPTIONS=False).test_client())
    response = actions.session_login(samesite="None", partitioned=True)
    [cookie] = set_cookie_headers(response)
    assert "SameSite=Lax" in cookie and "Partitioned" not in cookie


@pytest.mark.parametrize(
    ("kwargs", "status", "error"),
    [
        ({"data": "username=alice&password=wonderland", "content_type": "application/x-www-form-urlencoded"},
         415, "unsupported_media_type"),
        ({"data": "{not json", "content_type": "application/json"}, 400, "bad_request"),
        ({"json": ["alice", "wonderland"]}, 400, "invalid_request"),
        ({"json": {"username": "alice"}}, 400, "invalid_request"),
        ({"json": {"username": 7, "password": "wonderland"}}, 400, "invalid_request"),
        ({"json": {"username": "alice", "password": "x" * 5000}}, 400, "invalid_request"),
        ({"json": {"username": "alice", "password": "x" * 100_000}}, 413, "request_entity_too_large"),
    ],
    ids=["form-body", "malformed-json", "json-array", "missing-password", "non-string", "long-password", "huge-body"],
)
def test_bad_login_bodies_get_json_errors(client, kwargs, status, error):
    response = client.post("/api/session/login", **kwargs)
    assert response.status_code == status
    assert response.get_json()["error"] == error
    assert response.content_type == "application/json"


def test_no_remember_me_cookie_at_login_or_logout(actions):
    login = actions.session_login()
    logout = actions.session_logout(login.get_json()["csrf_token"])
    names = [c.split("=")[0] for c in set_cookie_headers(login) + set_cookie_headers(logout)]
    assert names == [SESSION_COOKIE, SESSION_COOKIE]


def test_other_methods_never_open_the_session(actions, client, redis_db):
    """A session cookie riding along to /api/basic/* is never looked up (Basic's only Redis reads are its throttle)."""
    actions.session_login()
    redis_db.config_resetstat()
    response = client.get("/api/basic/me", headers=basic_header("alice", "wonderland"))
    assert response.status_code == 200
    assert "cmdstat_getex" not in redis_db.info("commandstats")


def test_me_costs_one_redis_round_trip(actions, client, redis_db):
    actions.session_login()
    before = redis_db.info("stats")["total_commands_processed"]
    assert client.get("/api/session/me").status_code == 200
    after = redis_db.info("stats")["total_commands_processed"]
    assert after - before == 2  # GETEX + the INFO call itself


@pytest.mark.parametrize("later", [{"User-Agent": "another agent"}, {"X-Forwarded-For": "198.51.100.9"}],
                         ids=["agent", "xff"])
def test_me_never_reissues_the_cookie_or_writes_the_session(actions, client, redis_db, later):
    """A `me` from a changed agent or forwarded address is a read: one GETEX, no SET, no Set-Cookie to toss around."""
    actions.session_login(headers={"User-Agent": "the login's agent"})
    redis_db.config_resetstat()
    response = client.get("/api/session/me", headers=later)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    commands = {name for name in redis_db.info("commandstats") if name not in ("cmdstat_config", "cmdstat_info")}
    assert commands == {"cmdstat_getex"}


def test_an_unknown_session_store_refuses_to_start(make_app):
    """SESSION_STORE is `redis` or `memory`: a typo must not quietly pick one (it used to mean Redis)."""
    with pytest.raises(ValueError, match="disk"):
        make_app(SESSION_STORE="disk")
