"""`GET /api/inspect`: your own records, shown to the page by the viewer key its login got (or the credential),
never a secret, never another user's, never anonymously, at a bounded cost; off outside demo mode."""

import hashlib
import time

import jwt
import pytest

from backend.inspect_records import MAX_OTHERS
from kernel.stores import keys
from kernel.stores.revocation import MAX_INDEXED
from tests.helpers import BEARER_METHODS, SESSION_COOKIE, access_token, basic_header, bearer, token_login

PASSWORD = "wonderland"


def viewed(client, viewers, **params):
    return client.get("/api/inspect", query_string=params, headers={"X-Viewer-Key": ", ".join(viewers)})


def inspect(client, *viewers, **params):
    response = viewed(client, viewers, **params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def kinds(body, exists=True):
    """The kinds of records present (or deleted), leaving out the rate-limit counters every login adds to."""
    return sorted(r["kind"] for r in body["records"] if r["exists"] == exists and r["kind"] != "rate-limit counter")


def jar_values(client):
    return [cookie.value for cookie in client._cookies.values()]


def session_login(client, username="alice", password=PASSWORD):
    return client.post("/api/session/login", json={"username": username, "password": password}).get_json()


def secrets_of_a_login(client, method, transport):
    """The login's body, and every secret value it produced: tokens, cookies, CSRF token, JWT ids."""
    body = session_login(client) if method == "session" else token_login(client, method, transport=transport).get_json()
    found = [body.get("access_token"), body.get("refresh_token"), body.get("csrf_token"), *jar_values(client)]
    for token in [t for t in found if method == "jwt" and t and t.count(".") == 2]:
        claims = jwt.decode(token, options={"verify_signature": False})
        found += [claims.get("jti"), claims.get("sid")]
    return body, [v for v in found if v]


@pytest.mark.parametrize(("method", "transport"),
                         [("session", "cookie")] + [(m, t) for m in BEARER_METHODS for t in ("header", "cookie")])
def test_no_secret_of_any_method_appears_in_it_or_in_the_viewer_key(app, method, transport):
    """Logged in, logged out and logged out everywhere: no credential, CSRF token, JWT id or hash is in the body,
    nor in the viewer key (sealed, not merely signed)."""
    client = app.test_client()
    body, secrets = secrets_of_a_login(client, method, transport)
    viewer = body["viewer"]
    client.get("/api/basic/me", headers=basic_header("alice", "wrong password"))  # a rate-limit counter too
    shown = [viewer, viewed(client, [viewer]).get_data(as_text=True)]
    sent = bearer(body["access_token"]) if transport == "header" else {"X-CSRF-Token": body["csrf_token"]}
    logout = client.post(f"/api/{method}/logout", headers=sent)
    assert logout.status_code in (200, 204), logout.get_json()
    shown.append(viewed(client, [viewer]).get_data(as_text=True))
    again, more = secrets_of_a_login(client, method, transport)  # a record for logout-all to end
    client.post("/api/logout-all", headers=basic_header("alice", PASSWORD))
    shown.append(viewed(client, [viewer, again["viewer"]]).get_data(as_text=True))
    candidates = secrets + more + [hashlib.sha256(s.encode()).hexdigest() for s in secrets + more] + [PASSWORD]
    for text in shown:
        for secret in candidates:
            assert secret not in text and secret[:10] not in text


def test_a_session_shows_up_and_is_marked_gone_after_logout(client):
    """The page shows the record appear at login and go at logout: the same short id, exists true then false."""
    login = session_login(client)
    [record] = [r for r in inspect(client, login["viewer"])["records"] if r["kind"] == "session"]
    assert record["exists"] and record["mine"] and 0 < record["ttl"] <= 1800 and record["bytes"] > 0
    client.post("/api/session/logout", headers={"X-CSRF-Token": login["csrf_token"]})
    [gone] = [r for r in inspect(client, login["viewer"])["records"] if r["kind"] == "session"]
    assert gone == {**record, "exists": False, "ttl": None, "bytes": None}


def test_a_signed_token_leaves_no_record(client):
    """Stateless: logging in with a signed token adds nothing the server keeps."""
    assert kinds(inspect(client, token_login(client, "signed").get_json()["viewer"])) == []


def test_jwt_logout_leaves_a_denylist_entry_and_ends_the_family(client):
    login = token_login(client, "jwt").get_json()
    assert kinds(inspect(client, login["viewer"])) == ["JWT refresh family"]
    client.post("/api/jwt/logout", headers=bearer(login["access_token"]))
    body = inspect(client, login["viewer"])
    assert kinds(body) == ["JWT denylist entry"] and kinds(body, exists=False) == ["JWT refresh family"]
    assert body["api"]["jwt_revocation_check"] is True


def test_logout_all_leaves_its_marker_and_empties_the_index(client, redis_db):
    viewer = token_login(client, "token").get_json()["viewer"]
    client.post("/api/logout-all", headers=basic_header("alice", PASSWORD))
    body = inspect(client, viewer)
    assert kinds(body) == ["logout-all marker"] and kinds(body, exists=False) == ["opaque token"]
    assert redis_db.exists(keys.user_index("alice")) == 0


def test_failed_logins_show_as_rate_limit_counters(client):
    client.post("/api/session/login", json={"username": "alice", "password": "wrong"})
    counters = [r for r in inspect(client, session_login(client)["viewer"])["records"]
                if r["kind"] == "rate-limit counter"]
    assert {r["counts"] for r in counters} >= {"login-user", "login-client"}
    assert all(r["ttl"] and r["ttl"] <= 3600 for r in counters)


def test_the_credential_itself_opens_it_too(client):
    """A Bearer token (or a token cookie) shows the records of its own login, marked `mine`."""
    token = token_login(client, "token").get_json()["access_token"]
    body = client.get("/api/inspect", headers=bearer(token)).get_json()
    assert [(r["kind"], r["mine"], r["exists"]) for r in body["records"] if r["kind"] == "opaque token"] == [
        ("opaque token", True, True)]


@pytest.mark.parametrize("headers", [{}, {"X-Viewer-Key": "not-a-viewer-key"}, bearer("not-a-token")],
                         ids=["nothing", "forged-key", "bad-token"])
def test_nobody_anonymous_sees_anything(client, headers):
    """Finding 3: without a viewer key or credential of yours, a 401 that lists nothing."""
    session_login(client)
    response = client.get("/api/inspect?user=alice", headers=headers)
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"
    assert "records" not in response.get_json()


def test_a_tampered_viewer_key_is_nobodys(client):
    viewer = session_login(client)["viewer"]
    tampered = viewer[:-2] + ("AA" if viewer[-2:] != "AA" else "BB")
    assert viewed(client, [tampered]).status_code == 401


@pytest.mark.parametrize("user", ["bob", "mallory", "", "x" * 100])
def test_another_or_an_unknown_user_is_a_403_that_names_nobody(client, user):
    """Alice's key does not show bob's records; an unknown name is answered the same: no user list, no hint."""
    session_login(client, "bob", "builder")
    response = viewed(client, [session_login(client)["viewer"]], user=user)
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"
    assert not any(name in response.get_json()["message"] for name in ("alice", "bob", "zoë", "admin"))


def test_one_users_records_never_show_in_anothers(client):
    bobs = session_login(client, "bob", "builder")["viewer"]
    token_login(client, "token")  # alice's
    records = inspect(client, bobs)["records"]
    assert ([r["kind"] for r in records if r["kind"] != "rate-limit counter"] == ["session"]
            and inspect(client, bobs)["user"] == "bob")


def test_the_key_survives_logout_and_other_tabs_show_folded(client):
    """`mine` are this browser's logins; the user's other live records are listed as not mine."""
    mine = session_login(client)
    other = token_login(client.application.test_client(), "token").get_json()  # another browser, same user
    client.post("/api/session/logout", headers={"X-CSRF-Token": mine["csrf_token"]})
    records = [(r["kind"], r["mine"], r["exists"]) for r in inspect(client, mine["viewer"])["records"]
               if r["kind"] != "rate-limit counter"]
    assert records == [("session", True, False), ("opaque token", False, True)]
    assert "viewer" in other


def test_its_cost_is_bounded_whatever_the_index_holds(client, redis_db):
    """No SCAN; one ZREVRANGE and one pipeline over at most MAX_OTHERS of a large index's records."""
    viewer = session_login(client)["viewer"]
    far = time.time() + 3600
    redis_db.zadd(keys.user_index("alice"), {f"token:{n:064x}": far for n in range(5000)})
    redis_db.mset({f"token:{n:064x}": "{}" for n in range(40)})
    redis_db.config_resetstat()
    body = inspect(client, viewer)
    stats = {name: value["calls"] for name, value in redis_db.info("commandstats").items()}
    assert "cmdstat_scan" not in stats and "cmdstat_smembers" not in stats
    assert stats["cmdstat_pttl"] + stats["cmdstat_memory"] <= 2 * (1 + MAX_OTHERS + 1 + 4)
    assert len([r for r in body["records"] if not r["mine"] and r["kind"] == "opaque token"]) <= MAX_OTHERS
    assert body["unlisted"] > 4900


def test_the_index_is_pruned_as_records_expire_and_capped(client, redis_db):
    """A login drops index entries whose records have certainly expired, and ends the oldest beyond the cap."""
    index = keys.user_index("alice")
    redis_db.zadd(index, {"token:expired": time.time() - 1})
    redis_db.zadd(index, {f"token:{n:064x}": time.time() + 60 + n for n in range(MAX_INDEXED)})
    redis_db.mset({f"token:{n:064x}": "{}" for n in range(MAX_INDEXED)})
    token_login(client, "token")
    assert redis_db.zscore(index, "token:expired") is None
    assert redis_db.zcard(index) == MAX_INDEXED
    assert redis_db.exists(f"token:{0:064x}") == 0 and redis_db.zscore(index, f"token:{0:064x}") is None  # ended
    assert redis_db.exists(f"token:{1:064x}") == 1


def test_past_the_cap_the_login_just_made_lives_though_it_expires_soonest(client, redis_db):
    """A full index of longer-lived logins (sessions, refresh families): a new opaque token expires before all of
    them, yet the one ended is the soonest-expiring of the others, never the token just handed out."""
    index = keys.user_index("alice")
    redis_db.zadd(index, {f"token:{n:064x}": time.time() + 86_400 + n for n in range(MAX_INDEXED)})
    redis_db.mset({f"token:{n:064x}": "{}" for n in range(MAX_INDEXED)})
    token = access_token(client, "token")
    assert client.get("/api/token/me", headers=bearer(token)).status_code == 200
    assert redis_db.zcard(index) == MAX_INDEXED and redis_db.exists(f"token:{0:064x}") == 0


def test_a_refused_sessions_record_can_be_ended_with_the_viewer_key(client, redis_db):
    """Issue 18 6h: a session whose cookie the browser never kept lives on; its login's key ends it, no other."""
    login = session_login(client)
    client.delete_cookie(SESSION_COOKIE)  # the browser refused it
    [record] = [r for r in inspect(client, login["viewer"])["records"] if r["kind"] == "session"]
    bobs = session_login(client.application.test_client(), "bob", "builder")["viewer"]
    ended = client.post("/api/inspect/end", json={"id": record["id"]}, headers={"X-Viewer-Key": bobs})
    assert ended.status_code == 404
    ended = client.post("/api/inspect/end", json={"id": record["id"]}, headers={"X-Viewer-Key": login["viewer"]})
    assert ended.status_code == 204
    [gone] = [r for r in inspect(client, login["viewer"])["records"] if r["kind"] == "session"]
    assert not gone["exists"] and redis_db.keys("session:*") != [] and len(redis_db.keys("session:*")) == 1  # bob's


def test_off_outside_demo_mode(make_app):
    """A real deployment does not tell anyone who is logged in, and hands out no viewer key: a JSON 404."""
    client = make_app(DEMO_COOKIE_OPTIONS=False).test_client()
    assert "viewer" not in session_login(client)
    response = client.get("/api/inspect?user=alice")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"
