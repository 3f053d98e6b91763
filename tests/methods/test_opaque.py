"""Opaque tokens with a server-side record in Redis (backend/methods/opaque.py)."""

import hashlib
import json

import pytest

from tests.helpers import CREDENTIAL_COOKIE, access_token, assert_refused, bearer, redis_commands, token_login

TOKEN_CHARS = 43  # secrets.token_urlsafe(32): 256 random bits


def record_key(token):
    return "token:" + hashlib.sha256(token.encode()).hexdigest()


def test_the_token_is_random_and_redis_holds_only_its_hash_with_a_ttl(client, app, redis_db):
    token = access_token(client, "token")
    assert len(token) == TOKEN_CHARS
    assert json.loads(redis_db.get(record_key(token))) == {"user": "alice", "cookie": None}
    assert 0 < redis_db.ttl(record_key(token)) <= app.config["TOKEN_TTL"]
    everything = b"".join(redis_db.dump(key) or b"" for key in redis_db.keys("*"))
    assert token.encode() not in everything and token.encode() not in b"".join(redis_db.keys("*"))


def test_two_logins_get_two_different_tokens(client):
    assert access_token(client, "token") != access_token(client, "token")


def test_me_answers_from_the_record(client):
    token = access_token(client, "token", username="bob", password="builder")
    response = client.get("/api/token/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json() == {"user": "bob", "method": "token", "role": "user", "transport": "header"}


def test_notes_django_tokens_cannot_expire_these_die_at_their_ttl(make_app, redis_db):
    """The notes: "Django's inbuilt token auth does not support setting tokens to expire" — here they do."""
    client = make_app(TOKEN_TTL=1).test_client()
    login = token_login(client, "token")
    assert login.get_json()["expires_in"] == 1
    token = login.get_json()["access_token"]
    assert client.get("/api/token/me", headers=bearer(token)).status_code == 200
    [record] = redis_db.keys("token:*")
    assert 0 < redis_db.pttl(record) <= 1000  # the record's TTL is the token's lifetime
    redis_db.delete(record)  # what Redis does when that TTL runs out
    assert_refused(client, "token", token, "unknown, expired or logged-out token")


def test_logout_kills_the_token_at_once(client, redis_db):
    token = access_token(client, "token")
    response = client.post("/api/token/logout", headers=bearer(token))
    assert response.status_code == 204
    assert redis_db.exists(record_key(token)) == 0
    assert client.get("/api/token/me", headers=bearer(token)).status_code == 401


def test_cookie_logout_deletes_the_record_and_expires_the_cookie(client, redis_db):
    csrf_token = token_login(client, "token", transport="cookie").get_json()["csrf_token"]
    token = client.get_cookie(CREDENTIAL_COOKIE["token"]).value
    response = client.post("/api/token/logout", headers={"X-CSRF-Token": csrf_token})
    assert response.status_code == 204
    assert redis_db.exists(record_key(token)) == 0
    assert client.get_cookie(CREDENTIAL_COOKIE["token"]) is None


def test_me_costs_one_redis_round_trip(client, redis_db):
    token = access_token(client, "token")
    before = redis_commands(redis_db)
    assert client.get("/api/token/me", headers=bearer(token)).status_code == 200
    assert redis_commands(redis_db) - before == 2  # GET + the INFO call itself


@pytest.mark.parametrize("step", ["login", "me"])
def test_dead_redis_is_a_503_json(make_app, own_redis, step):
    client = make_app(REDIS_URL=own_redis.url).test_client()
    token = access_token(client, "token")
    own_redis.stop()
    response = token_login(client, "token") if step == "login" else client.get("/api/token/me", headers=bearer(token))
    assert response.status_code == 503
    assert response.get_json()["error"] == "store_unavailable"
    assert response.headers["Retry-After"] == "2"
