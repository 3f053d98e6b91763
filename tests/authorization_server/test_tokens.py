"""The token endpoint: codes single-use and short-lived, refresh tokens rotated with reuse detection and a lifetime
cap, revocation (RFC 7009), confidential clients, and RFC 9068 access tokens; every error the RFC's JSON."""

import base64
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest

from issuer import records
from tests.authorization_server.conftest import BFF_SECRET, Flow

ISSUER = "http://127.0.0.1:8003"


def refused(response, error="invalid_grant", status=400):
    """The RFC 6749 §5.2 error body, never the API's: assert it and return its description."""
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["error"] == error and set(body) <= {"error", "error_description"}
    return body.get("error_description", "")


def test_the_code_flow_answers_a_jwt_access_token_and_an_opaque_refresh_token(flow):
    response = flow.redeem(flow.code())
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body == {"access_token": body["access_token"], "refresh_token": body["refresh_token"],
                    "token_type": "Bearer", "expires_in": 300, "scope": "api"}
    assert body["refresh_token"].count(".") == 0 and len(body["refresh_token"]) >= 43


def test_the_access_token_has_every_claim_rfc_9068_asks_for(flow):
    token = flow.tokens()["access_token"]
    header, claims = jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})
    assert header["typ"] == "at+jwt" and header["alg"] == "EdDSA" and header["kid"]
    assert set(claims) == {"iss", "aud", "sub", "client_id", "iat", "exp", "jti", "scope", "sid"}
    assert (claims["iss"], claims["aud"], claims["sub"], claims["client_id"]) == (
        ISSUER, "authlab-api", "alice", "authlab-a")
    assert 299 < claims["exp"] - claims["iat"] <= 300


def test_a_code_is_single_use_and_its_reuse_revokes_the_refresh_token_it_issued(flow):
    code = flow.code()
    first = flow.redeem(code).get_json()
    assert "used already" in refused(flow.redeem(code))
    refused(flow.refresh(first["refresh_token"]))  # the family the code opened is revoked


def test_a_code_lives_60_seconds_in_redis_and_is_dead_after(flow, redis_db):
    code = flow.code()
    key = records.code_key(code)
    assert 58 <= redis_db.ttl(key) <= 60
    redis_db.delete(key)  # what Redis does at the 60th second (no sleep of a minute)
    refused(flow.redeem(code))


def test_only_hashes_of_codes_and_tokens_are_kept(flow, redis_db):
    code = flow.code()
    tokens = flow.redeem(code).get_json()
    stored = b" ".join(redis_db.keys("as:*") + [v for k in redis_db.keys("as:*") for v in redis_db.hvals(k)])
    assert code.encode() not in stored and tokens["refresh_token"].encode() not in stored


@pytest.mark.parametrize(("change", "error"), [
    ({"verifier": "x" * 43}, "invalid_grant"),
    ({"code_verifier": None, "verifier": None}, "invalid_request"),
    ({"redirect_uri": "http://127.0.0.1:8002/"}, "invalid_grant"),
    ({"client_id": "authlab-b", "redirect_uri": "http://127.0.0.1:8002/"}, "invalid_grant"),
], ids=["wrong-verifier", "no-verifier", "other-redirect-uri", "other-client"])
def test_a_code_redeemed_with_another_verifier_redirect_uri_or_client_is_refused(flow, change, error):
    code = flow.code()
    if change.get("code_verifier", "") is None:
        response = flow.token(grant_type="authorization_code", code=code, client_id="authlab-a",
                              redirect_uri="http://localhost:8001/")
    else:
        response = flow.redeem(code, **change)
    refused(response, error)


def test_refresh_rotates_and_a_spent_refresh_token_revokes_the_whole_family(flow):
    first = flow.tokens()["refresh_token"]
    second = flow.refresh(first).get_json()
    assert second["refresh_token"] != first and second["token_type"] == "Bearer"
    assert "used already" in refused(flow.refresh(first))  # a replay of the spent one ...
    refused(flow.refresh(second["refresh_token"]))  # ... ends the live one too


def test_a_family_lives_its_cap_and_no_rotation_extends_it(make_flow, redis_db, clock_at):
    flow = make_flow(AS_REFRESH_FAMILY_TTL=100)
    start = 2_000_000_000.0
    clock_at(start)
    refresh_token = flow.tokens()["refresh_token"]
    (family,) = redis_db.keys("as:family:*")
    assert redis_db.hget(family, "ends") == str(int(start) + 100).encode()
    left = redis_db.pttl(family)  # EXPIREAT that end: Redis drops the family then, whatever happens before
    for step in (40, 80, 99):
        clock_at(start + step)
        refresh_token = flow.refresh(refresh_token).get_json()["refresh_token"]
        assert left - 5000 < redis_db.pttl(family) <= left  # never pushed back by a rotation
        assert redis_db.pttl(records.refresh_key(refresh_token)) <= left  # nor the new token's record
    clock_at(start + 100)
    refused(flow.refresh(refresh_token))


def test_revoking_a_refresh_token_ends_its_family(flow):
    tokens = flow.tokens()
    response = flow.client.post("/revoke", data={"token": tokens["refresh_token"], "client_id": "authlab-a"})
    assert response.status_code == 200 and response.get_json() == {}
    refused(flow.refresh(tokens["refresh_token"]))


def test_revoking_an_unknown_token_answers_200_as_rfc_7009_says(flow):
    response = flow.client.post("/revoke", data={"token": "never-issued", "client_id": "authlab-a"})
    assert response.status_code == 200


def test_another_client_cannot_revoke_or_use_a_refresh_token(flow):
    tokens = flow.tokens()
    refused(flow.client.post("/revoke", data={"token": tokens["refresh_token"], "client_id": "authlab-b"}))
    refused(flow.refresh(tokens["refresh_token"], client_id="authlab-b"))
    assert flow.refresh(tokens["refresh_token"]).status_code == 200


BFF = {"client_id": "authlab-bff-a", "redirect_uri": "http://localhost:8004/bff/callback"}


def basic(client_id, secret):
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def test_a_confidential_client_authenticates_with_its_secret(flow):
    code = flow.code(**BFF)
    response = flow.client.post("/token", headers=basic("authlab-bff-a", BFF_SECRET), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": BFF["redirect_uri"],
        "code_verifier": flow.verifier})
    assert response.status_code == 200 and response.get_json()["refresh_token"]


@pytest.mark.parametrize("headers", [{}, basic("authlab-bff-a", "wrong")], ids=["as-public", "wrong-secret"])
def test_a_confidential_client_without_its_secret_is_invalid_client(flow, headers):
    code = flow.code(**BFF)
    response = flow.client.post("/token", headers=headers, data={
        "grant_type": "authorization_code", "code": code, "client_id": "authlab-bff-a",
        "redirect_uri": BFF["redirect_uri"], "code_verifier": flow.verifier})
    refused(response, "invalid_client", response.status_code)
    assert response.status_code in (400, 401)


def test_a_bff_whose_secret_is_not_configured_cannot_authenticate_at_all(make_flow):
    flow = make_flow(BFF_A_CLIENT_SECRET="")
    code = flow.code(**BFF)
    response = flow.client.post("/token", headers=basic("authlab-bff-a", ""), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": BFF["redirect_uri"],
        "code_verifier": flow.verifier})
    refused(response, "invalid_client", 401)


@pytest.mark.parametrize(("form", "error"), [
    ({"grant_type": "password", "username": "alice", "password": "wonderland", "client_id": "authlab-a"},
     "unsupported_grant_type"),
    ({"grant_type": "client_credentials", "client_id": "authlab-a"}, "unsupported_grant_type"),
    ({"grant_type": "authorization_code", "client_id": "authlab-a"}, "invalid_request"),
    ({"grant_type": "refresh_token", "client_id": "authlab-a"}, "invalid_request"),
    ({"grant_type": "refresh_token", "client_id": "authlab-a", "refresh_token": "forged"}, "invalid_grant"),
    ({}, "unsupported_grant_type"),
], ids=["password", "client-credentials", "no-code", "no-refresh-token", "unknown-refresh-token", "empty"])
def test_bad_token_requests_get_the_rfcs_error_body(flow, form, error):
    refused(flow.token(**form), error)


def test_of_two_concurrent_uses_of_one_refresh_token_exactly_one_wins_and_the_family_ends(as_app):
    """Whichever order Redis sees them in, the loser is a reuse: its family, the winner's new token included, ends."""
    refresh_token = Flow(as_app.test_client()).tokens()["refresh_token"]
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: Flow(as_app.test_client()).refresh(refresh_token), range(2)))
    assert sorted(answer.status_code for answer in answers) == [200, 400]
    (won,) = [answer.get_json() for answer in answers if answer.status_code == 200]
    refused(Flow(as_app.test_client()).refresh(won["refresh_token"]))
