"""JWT (backend/methods/json_web_tokens.py): claims, refresh rotation and reuse, logout, and the revocation
trade-off."""

import base64
import json
import threading

import jwt as pyjwt
import pytest
import requests

from kernel.stores import keys
from tests.helpers import CREDENTIAL_COOKIE, bearer, redis_commands, token_login


def login(client, **extra):
    response = token_login(client, "jwt", **extra)
    assert response.status_code == 200
    return response.get_json()


def refresh(client, refresh_token):
    return client.post("/api/jwt/refresh", json={"refresh_token": refresh_token})


def payload_without_any_key(token):
    """What anyone who sees the token can read: base64url, not encryption."""
    segment = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def test_notes_claim_jwt_is_encrypted_is_wrong_anyone_can_read_the_payload(client):
    """The notes: JWTs are "safer since they are encrypted". They are signed; the payload is plain base64url."""
    payload = payload_without_any_key(login(client)["access_token"])
    assert payload["sub"] == "alice"
    assert set(payload) == {"iss", "aud", "sub", "iat", "exp", "jti", "sid"}


def test_access_token_carries_every_required_claim_and_its_type(client, app):
    token = login(client)["access_token"]
    header = pyjwt.get_unverified_header(token)
    claims = payload_without_any_key(token)
    assert header == {"alg": "HS256", "typ": "at+jwt"}
    assert (claims["iss"], claims["aud"]) == (app.config["API_ORIGIN"], app.config["JWT_AUDIENCE"])
    assert claims["exp"] == int(claims["iat"]) + app.config["JWT_ACCESS_TTL"]


def test_notes_jwt_generates_unique_tokens_with_expiration(client):
    """The notes: JWT "generates unique client tokens and token expiration" — a fresh `jti` and an `exp` each time."""
    first, second = (payload_without_any_key(login(client)["access_token"]) for _ in range(2))
    assert first["jti"] != second["jti"] and first["sid"] != second["sid"]
    assert first["exp"] > first["iat"]


def test_me_answers_with_the_verified_claims(client):
    token = login(client)["access_token"]
    response = client.get("/api/jwt/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json() == {
        "user": "alice", "method": "jwt", "role": "user", "transport": "header",
        "claims": payload_without_any_key(token),
    }


def test_refresh_returns_a_new_pair_and_spends_the_old_refresh_token(client):
    first = login(client)
    response = refresh(client, first["refresh_token"])
    assert response.status_code == 200
    second = response.get_json()
    assert set(second) == {"access_token", "refresh_token", "token_type", "expires_in", "viewer"}
    assert second["refresh_token"] != first["refresh_token"] and second["access_token"] != first["access_token"]
    assert (payload_without_any_key(second["access_token"])["sid"]
            == payload_without_any_key(first["access_token"])["sid"])
    assert client.get("/api/jwt/me", headers=bearer(second["access_token"])).status_code == 200


def test_a_spent_refresh_token_presented_again_revokes_the_whole_family(client):
    first = login(client)
    second = refresh(client, first["refresh_token"]).get_json()
    replay = refresh(client, first["refresh_token"])
    assert replay.status_code == 401
    assert replay.get_json() == {
        "error": "invalid_token",
        "message": "this refresh token was already spent: the whole token family is now revoked",
    }
    assert replay.headers["WWW-Authenticate"] == 'Bearer realm="auth-demo", error="invalid_token"'
    assert refresh(client, second["refresh_token"]).status_code == 401  # the legitimate holder is logged out too


def test_another_login_is_another_family_and_survives_a_reuse(client):
    victim, other = login(client), login(client)
    refresh(client, victim["refresh_token"])
    refresh(client, victim["refresh_token"])  # reuse: only this family ends
    assert refresh(client, other["refresh_token"]).status_code == 200


def test_two_concurrent_uses_of_one_refresh_token_have_exactly_one_winner(start_api):
    api = start_api()
    base = f"http://{api.host}:{api.port}/api/jwt"
    pair = requests.post(f"{base}/login", json={"username": "alice", "password": "wonderland"}, timeout=5).json()
    barrier, statuses = threading.Barrier(2), []

    def use():
        barrier.wait()
        statuses.append(requests.post(f"{base}/refresh", json={"refresh_token": pair["refresh_token"]},
                                      timeout=5).status_code)

    threads = [threading.Thread(target=use) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 401]


@pytest.mark.parametrize("token", ["access_token", "refresh_token"])
def test_refresh_accepts_only_refresh_tokens(client, token):
    response = refresh(client, login(client)[token])
    expected = 401 if token == "access_token" else 200
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [({}, 401), ({"json": {}}, 401), ({"json": {"refresh_token": 7}}, 400),
     ({"data": "x", "content_type": "text/plain"}, 415)],
    ids=["nothing", "no-field", "not-a-string", "not-json"],
)
def test_refresh_without_a_usable_refresh_token(client, kwargs, status):
    assert client.post("/api/jwt/refresh", **kwargs).status_code == status


@pytest.mark.parametrize("body", [{}, {"json": {}}], ids=["no-body", "empty-json-object"])
def test_cookie_transport_refreshes_from_the_refresh_cookie_with_the_csrf_token(client, body):
    csrf_token = login(client, transport="cookie")["csrf_token"]
    old_access = client.get_cookie(CREDENTIAL_COOKIE["jwt"]).value
    assert client.post("/api/jwt/refresh", **body).status_code == 403  # cookies alone never change state
    response = client.post("/api/jwt/refresh", headers={"X-CSRF-Token": csrf_token}, **body)
    assert response.status_code == 200
    assert response.get_json()["csrf_token"] == csrf_token  # bound to the family, stable across refreshes
    assert client.get_cookie(CREDENTIAL_COOKIE["jwt"]).value != old_access
    assert client.get("/api/jwt/me").status_code == 200


def test_logout_denies_the_access_token_and_ends_its_family(client, redis_db):
    pair = login(client)
    claims = payload_without_any_key(pair["access_token"])
    response = client.post("/api/jwt/logout", headers=bearer(pair["access_token"]))
    assert response.status_code == 204
    assert 0 < redis_db.ttl(keys.jwt_deny(claims["sub"], claims["jti"])) <= claims["exp"] - claims["iat"] + 10
    replay = client.get("/api/jwt/me", headers=bearer(pair["access_token"]))
    assert replay.status_code == 401
    assert replay.get_json() == {"error": "invalid_token", "message": "this token was logged out"}
    assert refresh(client, pair["refresh_token"]).status_code == 401


def end_by_reuse(client, first, second):
    refresh(client, first["refresh_token"])


def end_by_logout(client, first, second):
    assert client.post("/api/jwt/logout", headers=bearer(second["access_token"])).status_code == 204


def end_by_logout_all(client, first, second):
    assert client.post("/api/logout-all", headers=bearer(second["access_token"])).status_code == 200


ENDINGS = {"reuse": end_by_reuse, "logout": end_by_logout, "logout-all": end_by_logout_all}


@pytest.mark.parametrize("end", ENDINGS.values(), ids=ENDINGS)
def test_ending_a_refresh_family_refuses_every_access_token_minted_from_it_at_once(client, end):
    """Otherwise a stolen access token outlives the revocation the refresh token got, for up to its 300 s."""
    first = login(client)
    second = refresh(client, first["refresh_token"]).get_json()
    bystander = login(client)  # another family of the same user: only logout-all ends it too
    assert client.get("/api/jwt/me", headers=bearer(first["access_token"])).status_code == 200
    end(client, first, second)
    for pair in (first, second):
        assert client.get("/api/jwt/me", headers=bearer(pair["access_token"])).status_code == 401
    expected = 401 if end is end_by_logout_all else 200
    assert client.get("/api/jwt/me", headers=bearer(bystander["access_token"])).status_code == expected


def test_me_with_the_revocation_check_costs_one_redis_round_trip(client, redis_db):
    token = login(client)["access_token"]
    before = redis_commands(redis_db)
    assert client.get("/api/jwt/me", headers=bearer(token)).status_code == 200
    assert redis_commands(redis_db) - before == 2  # one MGET (denylist, ended family, logout-all) + the INFO call


def test_me_without_the_revocation_check_costs_no_redis_command(make_app, redis_db):
    client = make_app(JWT_REVOCATION_CHECK=False).test_client()
    token = login(client)["access_token"]
    before = redis_commands(redis_db)
    assert client.get("/api/jwt/me", headers=bearer(token)).status_code == 200
    assert redis_commands(redis_db) - before == 1  # only the INFO call


@pytest.mark.parametrize(("check", "status"), [(True, 503), (False, 200)],
                         ids=["check-on-fails-closed", "check-off-stateless"])
def test_with_redis_down_access_depends_on_the_revocation_check(make_app, own_redis, check, status):
    client = make_app(REDIS_URL=own_redis.url, JWT_REVOCATION_CHECK=check).test_client()
    token = login(client)["access_token"]
    own_redis.stop()
    response = client.get("/api/jwt/me", headers=bearer(token))
    assert response.status_code == status
    if status == 503:
        assert response.get_json()["error"] == "store_unavailable"


def test_without_the_revocation_check_logout_cannot_kill_an_access_token(make_app):
    client = make_app(JWT_REVOCATION_CHECK=False).test_client()
    pair = login(client)
    assert client.post("/api/jwt/logout", headers=bearer(pair["access_token"])).status_code == 204
    assert client.get("/api/jwt/me", headers=bearer(pair["access_token"])).status_code == 200  # until its exp
    assert refresh(client, pair["refresh_token"]).status_code == 401  # the refresh family is still ended


@pytest.mark.parametrize("secret", ["short", "x" * 31])
def test_an_hmac_key_shorter_than_32_bytes_refuses_to_start(make_app, secret):
    with pytest.raises(RuntimeError, match="JWT_SECRET must be at least 32 bytes"):
        make_app(JWT_SECRET=secret)
