"""`GET /api/inspect`: the server's records for a demo user, shown to the page, never a secret; off outside demo mode."""

import hashlib

import jwt
import pytest

from tests.helpers import BEARER_METHODS, basic_header, bearer, token_login

PASSWORD = "wonderland"


def inspect(client, user="alice"):
    response = client.get("/api/inspect", query_string={"user": user})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def kinds(body, exists=True):
    """The kinds of records present (or deleted), leaving out the rate-limit counters every login adds to."""
    return sorted(r["kind"] for r in body["records"] if r["exists"] == exists and r["kind"] != "rate-limit counter")


def jar_values(client):
    return [cookie.value for cookie in client._cookies.values()]


def secrets_of_a_login(client, method, transport):
    """The login's body, and every secret value it produced: tokens, cookies, CSRF token, JWT ids."""
    if method == "session":
        body = client.post("/api/session/login", json={"username": "alice", "password": PASSWORD}).get_json()
    else:
        body = token_login(client, method, transport=transport).get_json()
    found = [body.get("access_token"), body.get("refresh_token"), body.get("csrf_token"), *jar_values(client)]
    for token in [t for t in found if method == "jwt" and t and t.count(".") == 2]:
        claims = jwt.decode(token, options={"verify_signature": False})
        found += [claims.get("jti"), claims.get("sid")]
    return body, [v for v in found if v]


@pytest.mark.parametrize(("method", "transport"), [("session", "cookie")] + [(m, t) for m in BEARER_METHODS for t in ("header", "cookie")])
def test_no_secret_of_any_method_appears_in_it(app, method, transport):
    """Logged in, logged out and logged out everywhere: no credential, CSRF token, JWT id or hash is in the body."""
    client = app.test_client()
    body, secrets = secrets_of_a_login(client, method, transport)
    client.get("/api/basic/me", headers=basic_header("alice", "wrong password"))  # a rate-limit counter too
    bodies = [client.get("/api/inspect?user=alice").get_data(as_text=True)]
    sent = bearer(body["access_token"]) if transport == "header" else {"X-CSRF-Token": body["csrf_token"]}
    logout = client.post(f"/api/{method}/logout", headers=sent)
    assert logout.status_code in (200, 204), logout.get_json()
    bodies.append(client.get("/api/inspect?user=alice").get_data(as_text=True))
    secrets_of_a_login(client, method, transport)  # a record for logout-all to end
    client.post("/api/logout-all", headers=basic_header("alice", PASSWORD))
    bodies.append(client.get("/api/inspect?user=alice").get_data(as_text=True))
    candidates = secrets + [hashlib.sha256(s.encode()).hexdigest() for s in secrets] + [PASSWORD]
    for shown in bodies:
        for secret in candidates:
            assert secret not in shown and secret[:10] not in shown


def test_a_session_shows_up_and_is_marked_gone_after_logout(client):
    """The page shows the record appear at login and go at logout: the same short id, exists true then false."""
    login = client.post("/api/session/login", json={"username": "alice", "password": PASSWORD}).get_json()
    [record] = [r for r in inspect(client)["records"] if r["kind"] == "session"]
    assert record["exists"] and 0 < record["ttl"] <= 1800 and record["bytes"] > 0
    client.post("/api/session/logout", headers={"X-CSRF-Token": login["csrf_token"]})
    [gone] = [r for r in inspect(client)["records"] if r["kind"] == "session"]
    assert gone == {**record, "exists": False, "ttl": None, "bytes": None}


def test_a_signed_token_leaves_no_record(client):
    """Stateless: logging in with a signed token adds nothing the server keeps."""
    token_login(client, "signed")
    assert kinds(inspect(client)) == []


def test_jwt_logout_leaves_a_denylist_entry_and_ends_the_family(client):
    token = token_login(client, "jwt").get_json()["access_token"]
    assert kinds(inspect(client)) == ["JWT refresh family"]
    client.post("/api/jwt/logout", headers=bearer(token))
    body = inspect(client)
    assert kinds(body) == ["JWT denylist entry"] and kinds(body, exists=False) == ["JWT refresh family"]
    assert body["api"]["jwt_revocation_check"] is True


def test_logout_all_leaves_its_marker_and_empties_the_index(client):
    token_login(client, "token")
    client.post("/api/logout-all", headers=basic_header("alice", PASSWORD))
    body = inspect(client)
    assert kinds(body) == ["logout-all marker"] and kinds(body, exists=False) == []


def test_failed_logins_show_as_rate_limit_counters(client):
    client.post("/api/session/login", json={"username": "alice", "password": "wrong"})
    counters = [r for r in inspect(client)["records"] if r["kind"] == "rate-limit counter"]
    assert {r["counts"] for r in counters} >= {"login-user", "login-client"}
    assert all(r["ttl"] and r["ttl"] <= 3600 for r in counters)


@pytest.mark.parametrize("user", ["", "mallory", "x" * 100])
def test_an_unknown_user_is_a_400(client, user):
    response = client.get("/api/inspect", query_string={"user": user})
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"


def test_off_outside_demo_mode(make_app):
    """A real deployment does not tell anyone who is logged in: a JSON 404."""
    response = make_app(DEMO_COOKIE_OPTIONS=False).test_client().get("/api/inspect?user=alice")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"
