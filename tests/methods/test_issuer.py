"""The separate issuer and the API's JWKS verification: a real issuer process, reached over HTTP like a third-party
provider."""

import signal
import time

import jwt as pyjwt
import pytest
import requests

from issuer import create_app as create_issuer
from issuer.keys import MAX_PUBLISHED, KeyRing
from tests.conftest import ROTATE_SECRET
from tests.helpers import bearer, tiny_server

LOGIN = {"username": "alice", "password": "wonderland"}
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}


def issue(service, **extra):
    response = requests.post(f"{service.origin}/token", json={**LOGIN, **extra}, timeout=5)
    assert response.status_code == 200
    return response.json()["access_token"]


def published_kids(service):
    return [key["kid"] for key in requests.get(f"{service.origin}/.well-known/jwks.json", timeout=5).json()["keys"]]


ROTATION = {"json": {}, "headers": {"Authorization": f"Bearer {ROTATE_SECRET}"}}


def rotate(service):
    return requests.post(f"{service.origin}/rotate", timeout=5, **ROTATION).json()["kid"]


def me(app, token):
    return app.test_client().get("/api/jwt/me", headers=bearer(token))


def test_notes_jwt_can_come_from_a_third_party_service_and_the_api_accepts_it(make_app, issuer):
    """The notes: JWTs "can be generated ... with a third-party service like Auth0". The API holds none of its keys."""
    token = issue(issuer)
    response = me(make_app(ISSUER_ORIGIN=issuer.origin), token)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["user"], body["method"], body["claims"]["iss"]) == ("alice", "jwt", issuer.origin)


def test_the_token_endpoint_answers_as_documented(issuer):
    response = requests.post(f"{issuer.origin}/token", json=LOGIN, timeout=5)
    assert response.status_code == 200
    body = response.json()
    assert body == {"access_token": body["access_token"], "token_type": "Bearer", "expires_in": 300}
    header = pyjwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "RS256" and header["typ"] == "at+jwt" and header["kid"] in published_kids(issuer)
    assert "RFC 10017 section 7.3" in response.headers["Warning"]  # labelled: an exhibit, not a way to log in


@pytest.mark.parametrize(
    ("kwargs", "status", "error"),
    [
        ({"json": {"username": "alice", "password": "wrong"}}, 401, "invalid_credentials"),
        ({"data": "username=alice", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
         400, "unsupported_grant_type"),  # a form is the OAuth token endpoint's (RFC 6749), which has no password grant
        ({"json": {"username": "alice"}}, 400, "invalid_request"),
    ],
    ids=["wrong-password", "form-body-is-oauth-without-a-password-grant", "missing-password"],
)
def test_the_token_endpoint_answers_bad_requests_in_json(issuer, kwargs, status, error):
    response = requests.post(f"{issuer.origin}/token", timeout=5, **kwargs)
    assert response.status_code == status
    assert response.json()["error"] == error


def test_the_jwks_publishes_public_parts_only(issuer):
    keys = requests.get(f"{issuer.origin}/.well-known/jwks.json", timeout=5).json()["keys"]
    assert len(keys) == 2  # the signing key and the next one, published ahead of use
    assert all(PRIVATE_MEMBERS.isdisjoint(key) and key["use"] == "sig" and key["alg"] == "RS256" for key in keys)


def test_an_eddsa_issuer_works_too_and_publishes_no_private_part(make_app, start_issuer):
    eddsa = start_issuer(ISSUER_ALGORITHM="EdDSA")
    keys = requests.get(f"{eddsa.origin}/.well-known/jwks.json", timeout=5).json()["keys"]
    assert {key["kty"] for key in keys} == {"OKP"} and all("d" not in key for key in keys)
    assert me(make_app(ISSUER_ORIGIN=eddsa.origin), issue(eddsa)).status_code == 200


def test_a_token_for_another_audience_is_rejected(make_app, issuer):
    response = me(make_app(ISSUER_ORIGIN=issuer.origin), issue(issuer, audience="another-api"))
    assert response.status_code == 401
    assert response.get_json() == {"error": "invalid_token", "message": "invalid JWT: Audience doesn't match"}


def test_tokens_of_any_other_issuer_are_rejected(make_app, issuer, start_issuer):
    stranger = start_issuer()
    response = me(make_app(ISSUER_ORIGIN=issuer.origin), issue(stranger))
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_token"


def test_logout_denies_an_issuer_token_too(make_app, issuer):
    app, token = make_app(ISSUER_ORIGIN=issuer.origin), issue(issuer)
    assert app.test_client().post("/api/jwt/logout", headers=bearer(token)).status_code == 204
    assert me(app, token).status_code == 401


@pytest.mark.parametrize("origin", ["http://localhost:8001", "http://127.0.0.1:8002"])
def test_the_issuer_allows_both_frontends_by_cors(issuer, origin):
    headers = {"Origin": origin, "Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "content-type"}
    response = requests.options(f"{issuer.origin}/token", headers=headers, timeout=5)
    assert response.headers["Access-Control-Allow-Origin"] == origin


def test_the_issuer_sends_no_cors_headers_without_an_origin(issuer):
    response = requests.get(f"{issuer.origin}/.well-known/jwks.json", timeout=5)
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_the_issuer_refuses_other_origins_by_cors(issuer):
    response = requests.post(f"{issuer.origin}/token", json=LOGIN, headers={"Origin": "http://evil.example"}, timeout=5)
    assert "Access-Control-Allow-Origin" not in response.headers


def test_rotation_is_allowed_from_loopback_only():
    app = create_issuer({"ISSUER_ALGORITHM": "EdDSA"})
    response = app.test_client().post("/rotate", environ_base={"REMOTE_ADDR": "192.0.2.7"}, **ROTATION)
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"


FORM = {"data": "x=1", "content_type": "application/x-www-form-urlencoded"}
WRONG_ROTATIONS = {
    "form-from-another-page": ({**FORM, "headers": {"Origin": "http://evil.example"}}, 403),
    "form-without-origin": ({**FORM, "headers": ROTATION["headers"]}, 415),
    "json-from-a-frontend-page": (
        {**ROTATION, "headers": {**ROTATION["headers"], "Origin": "http://localhost:8001"}}, 403),
    "json-without-the-secret": ({"json": {}}, 401),
    "json-with-a-wrong-secret": ({"json": {}, "headers": {"Authorization": "Bearer guess"}}, 401),
}


@pytest.mark.parametrize(("request_kwargs", "status"), WRONG_ROTATIONS.values(), ids=WRONG_ROTATIONS)
def test_only_a_local_admin_tool_can_rotate_not_a_web_page(request_kwargs, status):
    """A form on any page in a browser on this machine reaches loopback: it must not rotate the keys."""
    app = create_issuer({"ISSUER_ALGORITHM": "EdDSA"})
    client = app.test_client()
    before = client.get("/.well-known/jwks.json").get_json()
    response = client.post("/rotate", **request_kwargs)
    assert response.status_code == status and response.is_json
    assert client.get("/.well-known/jwks.json").get_json() == before
    assert client.post("/rotate", **ROTATION).status_code == 200  # the admin tool still can


def test_rotation_is_off_without_a_secret():
    client = create_issuer({"ISSUER_ALGORITHM": "EdDSA", "ISSUER_ROTATE_SECRET": ""}).test_client()
    assert client.post("/rotate", json={}, headers={"Authorization": "Bearer "}).status_code == 401


def test_published_keys_are_capped_and_further_rotations_wait():
    """53 rotations once published 55 keys; now the JWKS stays small and each rotation costs one key pair at most."""
    client = create_issuer({"ISSUER_ALGORITHM": "EdDSA"}).test_client()
    statuses = [client.post("/rotate", **ROTATION).status_code for _ in range(MAX_PUBLISHED + 2)]
    assert statuses == [200] * (MAX_PUBLISHED - 2) + [429] * 4
    refused = client.post("/rotate", **ROTATION)
    assert refused.get_json()["error"] == "rate_limited" and 1 <= int(refused.headers["Retry-After"]) <= 901
    assert len(client.get("/.well-known/jwks.json").get_json()["keys"]) == MAX_PUBLISHED


def test_a_retired_key_stays_published_for_the_overlap_and_no_longer(monkeypatch):
    """The key ring's clock moved by hand: published until ISSUER_KEY_OVERLAP seconds after its retirement."""
    now = [1000.0]
    ring = KeyRing("EdDSA", overlap=900, clock=lambda: now[0])
    retiring = ring.current.kid
    ring.rotate()
    now[0] += 899
    assert retiring in [key.kid for key in ring.published()]
    now[0] += 2
    assert retiring not in [key.kid for key in ring.published()]
    assert len(ring.published()) == 2  # the signing key and the next one


@pytest.mark.real_time
def test_real_time_rotation_signs_with_the_pre_published_key_and_keeps_the_old_one_for_the_overlap(
    make_app, start_issuer
):
    """A real issuer process on the wall clock: the retired key goes when its 2 s overlap is over."""
    own = start_issuer(ISSUER_KEY_OVERLAP="2")
    app = make_app(ISSUER_ORIGIN=own.origin)  # refetches are rate-limited (30 s): nothing below can trigger one
    before, next_kid = published_kids(own)
    old_token = issue(own)
    assert me(app, old_token).status_code == 200  # caches the JWKS: both keys
    assert rotate(own) == next_kid
    new_token = issue(own)
    assert pyjwt.get_unverified_header(new_token)["kid"] == next_kid
    assert me(app, new_token).status_code == 200  # known already: no refetch was needed
    assert me(app, old_token).status_code == 200  # the retired key is still published
    assert before in published_kids(own)
    time.sleep(2.6)  # a margin for a loaded machine: the overlap is whole seconds
    assert before not in published_kids(own)
    fresh = make_app(ISSUER_ORIGIN=own.origin)  # a verifier whose cache is newer than the overlap
    assert me(fresh, old_token).status_code == 401
    assert me(fresh, new_token).status_code == 200


@pytest.mark.parametrize(
    ("cooldown", "issuer_state", "status"),
    [(0, "up", 200), (30, "up", 401), (0, "stopped", 503), (0, "hung", 503), (30, "stopped", 401)],
    ids=["refetched", "refetch-rate-limited", "jwks-down-503", "jwks-hung-503", "jwks-down-rate-limited"],
)
def test_an_unknown_kid_refetches_the_jwks_at_most_once_per_cooldown(make_app, start_issuer, cooldown, issuer_state,
                                                                     status):
    own = start_issuer()
    app = make_app(ISSUER_ORIGIN=own.origin, JWKS_REFETCH_COOLDOWN=cooldown)
    cached_token = issue(own)
    assert me(app, cached_token).status_code == 200
    rotate(own)
    rotate(own)  # now signing with a key the cached JWKS has never seen
    unknown_kid_token = issue(own)
    if issuer_state == "stopped":
        own.stop()
    elif issuer_state == "hung":
        own.signal(signal.SIGSTOP)  # the fixture's stop sends SIGCONT first
    if issuer_state != "up":
        assert me(app, cached_token).status_code == 200  # cached keys keep working while the JWKS is unreachable
    response = me(app, unknown_kid_token)
    assert response.status_code == status
    if status == 503:
        assert response.get_json()["error"] == "issuer_unavailable"
        assert response.headers["Retry-After"] == "2"


@pytest.mark.parametrize(
    ("status", "body"), [(200, b"<html>not json"), (500, b""), (200, b'{"keys": []}')],
    ids=["not-json", "500", "no-keys"]
)
def test_a_broken_jwks_is_the_issuers_outage_503_not_the_clients_401(make_app, status, body):
    with tiny_server(status, body) as (origin, requested):
        # iss picks the issuer path
        token = pyjwt.encode({"iss": origin, "sub": "alice"}, "x" * 32, headers={"kid": "k"})
        response = me(make_app(ISSUER_ORIGIN=origin), token)
    assert response.status_code == 503
    assert response.get_json()["error"] == "issuer_unavailable"
    assert requested == ["/.well-known/jwks.json"]


def test_the_issuer_refuses_the_public_dev_secret_like_the_api(issuer):
    """Its SECRET_KEY keys the rate-limit counters it shares with the API: the published default is refused."""
    from backend.config import SETTINGS

    with pytest.raises(RuntimeError, match="refusing to start: SECRET_KEY is the public default"):
        create_issuer({"SECRET_KEY": SETTINGS["SECRET_KEY"][0]})
    assert create_issuer({"SECRET_KEY": SETTINGS["SECRET_KEY"][0], "ALLOW_DEV_SECRETS": True,
                          "ISSUER_ALGORITHM": "EdDSA"})
    response = requests.post(f"{issuer.origin}/token", json=LOGIN, timeout=5)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
