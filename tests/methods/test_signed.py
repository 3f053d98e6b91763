"""Signed tokens with no server record (backend/methods/signed.py): what "stateless" means."""

import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from kernel.stores.keys import LIMITS_PREFIX
from tests.conftest import SECRET
from tests.helpers import CREDENTIAL_COOKIE, access_token, assert_refused, bearer, redis_commands, token_login

OLD_KEY, NEW_KEY = "old-signing-key-0123456789abcdef", "new-signing-key-0123456789abcdef"


def test_me_answers_from_the_token_alone(client, app):
    response = client.get("/api/signed/me", headers=bearer(access_token(client, "signed")))
    assert response.status_code == 200
    body = response.get_json()
    assert body == {"user": "alice", "method": "signed", "role": "user", "transport": "header",
                    "expires_in": body["expires_in"]}
    assert app.config["TOKEN_TTL"] - 1 <= body["expires_in"] <= app.config["TOKEN_TTL"]  # whole seconds may tick over


def test_notes_token_stateless_signed_tokens_leave_nothing_in_redis_and_cost_no_command(client, redis_db):
    token = access_token(client, "signed")  # the login counts against the rate limits
    before = redis_commands(redis_db)
    assert client.get("/api/signed/me", headers=bearer(token)).status_code == 200
    assert redis_commands(redis_db) - before == 1  # only the INFO call itself
    assert [key for key in redis_db.keys() if not key.startswith(LIMITS_PREFIX.encode())] == []


def test_signed_tokens_work_with_no_redis_at_all(make_app, own_redis):
    """Once issued: logging in needs the limiter's counters in Redis (fail closed), using the token needs nothing."""
    client = make_app(REDIS_URL=own_redis.url).test_client()
    token = access_token(client, "signed")
    own_redis.stop()
    assert client.get("/api/signed/me", headers=bearer(token)).status_code == 200


def test_the_token_expires_at_max_age(make_app, monkeypatch):
    """itsdangerous's clock moved forward: a token older than TOKEN_TTL is refused."""
    client = make_app(TOKEN_TTL=60).test_client()
    token = access_token(client, "signed")
    assert client.get("/api/signed/me", headers=bearer(token)).status_code == 200
    later = int(time.time()) + 61
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda signer: later)
    assert_refused(client, "signed", token, "the token is older than 60 seconds")


@pytest.mark.real_time
def test_real_time_the_token_expires_at_max_age(make_app):
    """The one signed-token test that waits: the signature's own timestamp, on the wall clock."""
    client = make_app(TOKEN_TTL=1).test_client()
    token = access_token(client, "signed")
    assert client.get("/api/signed/me", headers=bearer(token)).status_code == 200
    time.sleep(2.05)  # itsdangerous counts whole seconds: age 2 > max_age 1
    assert_refused(client, "signed", token, "the token is older than 1 seconds")


def test_logout_is_honest_the_token_stays_valid_until_it_expires(client, app):
    token = access_token(client, "signed")
    response = client.post("/api/signed/logout", headers=bearer(token))
    assert response.status_code == 200
    body = response.get_json()
    assert body == {
        "revoked": False,
        "expires_in": body["expires_in"],
        "message": "signed tokens have no server record to delete: this token stays valid until it expires",
    }
    assert app.config["TOKEN_TTL"] - 1 <= body["expires_in"] <= app.config["TOKEN_TTL"]
    assert client.get("/api/signed/me", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: URLSafeTimedSerializer("guessed-key", salt="authlab.signed-token").dumps({"sub": "admin"}),
        lambda token: URLSafeTimedSerializer(SECRET, salt="another-salt").dumps({"sub": "admin"}),
        lambda token: URLSafeTimedSerializer(SECRET, salt="authlab.signed-token").dumps({"sub": "mallory"}),
    ],
    ids=["changed-signature", "guessed-key", "same-key-other-salt", "unknown-user"],
)
def test_forged_tokens_are_401(client, forge):
    response = client.get("/api/signed/me", headers=bearer(forge(access_token(client, "signed"))))
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_token"


def test_a_session_cookie_signature_is_not_a_signed_token(client, app):
    """Same SECRET_KEY, different salt: a value Flask or the session layer signs cannot pass as a token."""
    forged = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="cookie-session").dumps({"sub": "alice"})
    assert client.get("/api/signed/me", headers=bearer(forged)).status_code == 401


@pytest.mark.parametrize(("verifier_keys", "status"), [(f"{OLD_KEY},{NEW_KEY}", 200), (NEW_KEY, 401)])
def test_key_rotation_the_old_key_verifies_during_the_overlap_only(make_app, verifier_keys, status):
    old = make_app(SIGNED_TOKEN_SECRETS=OLD_KEY).test_client()
    token = access_token(old, "signed")
    rotated = make_app(SIGNED_TOKEN_SECRETS=verifier_keys).test_client()
    assert rotated.get("/api/signed/me", headers=bearer(token)).status_code == status


def test_after_rotation_the_newest_key_signs(make_app):
    token = access_token(make_app(SIGNED_TOKEN_SECRETS=f"{OLD_KEY},{NEW_KEY}").test_client(), "signed")
    only_new = make_app(SIGNED_TOKEN_SECRETS=NEW_KEY).test_client()
    assert only_new.get("/api/signed/me", headers=bearer(token)).status_code == 200


def test_cookie_logout_forgets_the_cookie_but_a_copy_of_the_token_still_works(client):
    csrf_token = token_login(client, "signed", transport="cookie").get_json()["csrf_token"]
    copy = client.get_cookie(CREDENTIAL_COOKIE["signed"]).value
    response = client.post("/api/signed/logout", headers={"X-CSRF-Token": csrf_token})
    assert response.status_code == 200
    assert client.get_cookie(CREDENTIAL_COOKIE["signed"]) is None
    assert client.get("/api/signed/me", headers=bearer(copy)).status_code == 200
