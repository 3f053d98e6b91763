"""DPoP-bound issuer tokens at the API (RFC 9449 §7): a real API process behind HAProxy (as `make run` serves it),
page B's real /api/ proxy in front of that, tokens signed by the issuer's real KeyRing with `cnf.jkt`, proofs
signed by real client keys. Bound tokens need a fresh proof by their key; unbound ones stay Bearer tokens."""

import contextlib
import http.client
import json
import secrets
import time
from types import SimpleNamespace
from urllib.parse import urlsplit

import jwt
import pytest
import requests

from issuer.keys import KeyRing
from kernel import dpop
from stack import load_balancer, procs
from stack.environment import api_environment
from tests.conftest import SECRET
from tests.dpop_client import ProofKey
from tests.helpers import bearer, tiny_server

ME = "/api/jwt/me"


@pytest.fixture(scope="module")
def ring():
    """The issuer's own signing keys, in this process: tokens are signed exactly as the issuer signs them."""
    return KeyRing("EdDSA", overlap=900)


@pytest.fixture(scope="module")
def stack(ring, redis_service, tmp_path_factory):
    """The issuer's JWKS (served as is), the API behind HAProxy on its origin, and page B passing /api/ on to it."""
    logs = tmp_path_factory.mktemp("dpop")
    api_port, b_port = procs.free_port(), procs.free_port()
    with contextlib.ExitStack() as started:
        jwks, _ = started.enter_context(tiny_server(200, json.dumps(ring.jwks()).encode()))
        env = api_environment(api_port, redis_service.url, SECRET, ISSUER_ORIGIN=jwks,
                              FRONTEND_B_ORIGIN=f"http://127.0.0.1:{b_port}")
        for service in [*load_balancer.fronted(procs.api, "api", api_port, env, logs / "front", workers=1,
                                               log=logs / "api.log"),
                        procs.frontend("frontend_b", b_port, env, log=logs / "b.log")]:
            started.enter_context(service)
        yield SimpleNamespace(api=env["API_ORIGIN"], b=env["FRONTEND_B_ORIGIN"], issuer=jwks)


@pytest.fixture(scope="module")
def key():
    return ProofKey("ES256")


@pytest.fixture
def mint(ring, stack, redis_db):
    """An issuer access token for alice, bound to `key` (cnf.jkt) unless None; `claims` override. Redis emptied."""

    def make(key=None, **claims):
        now = int(time.time())
        body = {"iss": stack.issuer, "aud": "authlab-api", "sub": "alice", "iat": now, "exp": now + 300,
                "jti": secrets.token_urlsafe(16), **({"cnf": {"jkt": key.jkt}} if key else {}), **claims}
        return ring.sign(body)

    return make


def dpop_headers(token, proof):
    return {"Authorization": f"DPoP {token}", "DPoP": proof}


def me(origin, headers, method="GET", path=ME):
    return requests.request(method, origin + path, headers=headers, timeout=5)


def assert_refused(response, error, words):
    """401 with RFC 9449 §7.1's DPoP challenge naming `error`, and the API's JSON body saying `words`."""
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["error"] == error and words in body["message"], body
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('DPoP algs="') and f'error="{error}"' in challenge
    assert "ES256" in challenge and "HS256" not in challenge


def test_a_bound_token_with_a_proof_by_its_key_is_accepted(stack, mint, key, redis_db):
    token = mint(key)
    proof = key.proof("GET", stack.api + ME, token)
    response = me(stack.api, dpop_headers(token, proof))
    assert response.status_code == 200, response.text
    assert response.json()["claims"]["cnf"] == {"jkt": key.jkt}
    jti = jwt.decode(proof, options={"verify_signature": False})["jti"]
    assert 0 < redis_db.ttl(dpop.replay_key(key.jkt, jti)) <= dpop.REPLAY_WINDOW  # the jti, kept in Redis


def test_a_bound_token_sent_as_bearer_is_refused(stack, mint, key):
    """Stolen without its key, a bound token is no bearer token."""
    assert_refused(me(stack.api, bearer(mint(key))), "invalid_token", "DPoP-bound")


def test_a_bound_token_in_the_cookie_is_refused(stack, mint, key):
    response = requests.get(stack.api + ME, cookies={"jwt_access": mint(key)}, timeout=5)
    assert_refused(response, "invalid_token", "DPoP-bound")


def test_a_replayed_proof_is_refused(stack, mint, key):
    token = mint(key)
    headers = dpop_headers(token, key.proof("GET", stack.api + ME, token))
    assert me(stack.api, headers).status_code == 200
    assert_refused(me(stack.api, headers), "invalid_dpop_proof", "used before")


def test_a_proof_by_another_key_is_refused(stack, mint, key):
    """A thief's own valid proof does not bind to the victim's token."""
    token = mint(key)
    thief = ProofKey("ES256")
    assert_refused(me(stack.api, dpop_headers(token, thief.proof("GET", stack.api + ME, token))),
                   "invalid_token", "another key")


def test_a_missing_proof_is_refused(stack, mint, key):
    response = me(stack.api, {"Authorization": f"DPoP {mint(key)}"})
    assert_refused(response, "invalid_dpop_proof", "(0 came)")


def test_two_proofs_are_refused(stack, mint, key):
    """RFC 9449 §4.3: exactly one DPoP header field."""
    token = mint(key)
    connection = http.client.HTTPConnection(urlsplit(stack.api).netloc, timeout=5)
    connection.putrequest("GET", ME)
    connection.putheader("Authorization", f"DPoP {token}")
    for _ in range(2):
        connection.putheader("DPoP", key.proof("GET", stack.api + ME, token))
    connection.endheaders()
    answer = connection.getresponse()
    body = json.loads(answer.read())
    connection.close()
    assert (answer.status, body["error"]) == (401, "invalid_dpop_proof") and "(2 came)" in body["message"]


WRONG_PROOFS = {  # what the proof says instead of this request -> words of the refusal
    "another-method": ({"method": "POST"}, "`htm`"),
    "another-path": ({"path": "/api/jwt/logout"}, "`htu`"),
    "another-origin": ({"origin": "http://localhost:1"}, "`htu`"),
    "an-hour-old": ({"iat": -3600}, "`iat`"),
    "a-minute-ahead-and-more": ({"iat": 90}, "`iat`"),
    "ath-of-another-token": ({"ath_token": "another"}, "`ath`"),
}


@pytest.mark.parametrize(("wrong", "words"), WRONG_PROOFS.values(), ids=WRONG_PROOFS)
def test_a_proof_for_another_request_is_refused(stack, mint, key, wrong, words):
    token = mint(key)
    proof = key.proof(wrong.get("method", "GET"), wrong.get("origin", stack.api) + wrong.get("path", ME),
                      wrong.get("ath_token", token), iat=int(time.time()) + wrong.get("iat", 0))
    assert_refused(me(stack.api, dpop_headers(token, proof)), "invalid_dpop_proof", words)


def test_the_query_is_not_part_of_htu(stack, mint, key):
    token = mint(key)
    headers = dpop_headers(token, key.proof("GET", stack.api + ME, token))
    assert me(stack.api, headers, path=ME + "?x=1").status_code == 200


def test_through_page_bs_proxy_the_proof_names_bs_url(stack, mint, key):
    """B's server passes /api/ on to the API unchanged: the URL the client used is B's, and that is what it signs."""
    token = mint(key)
    headers = dpop_headers(token, key.proof("GET", stack.b + ME, token))
    assert me(stack.b, headers).status_code == 200


def test_a_proof_for_the_apis_url_is_good_through_b_too(stack, mint, key):
    """Both are the API's external URLs; a proof for one spends its jti for both."""
    token = mint(key)
    headers = dpop_headers(token, key.proof("GET", stack.api + ME, token))
    assert me(stack.b, headers).status_code == 200
    assert_refused(me(stack.api, headers), "invalid_dpop_proof", "used before")


def test_logout_takes_a_proof_for_itself_and_ends_the_token(stack, mint, key):
    token = mint(key)
    logout = dpop_headers(token, key.proof("POST", stack.api + "/api/jwt/logout", token))
    assert me(stack.api, logout, "POST", "/api/jwt/logout").status_code == 204
    response = me(stack.api, dpop_headers(token, key.proof("GET", stack.api + ME, token)))
    assert response.status_code == 401 and "logged out" in response.json()["message"]


def test_an_unbound_token_is_a_bearer_token_as_before(stack, mint):
    assert me(stack.api, bearer(mint())).status_code == 200


def test_an_unbound_token_sent_as_dpop_is_refused(stack, mint, key):
    token = mint()
    assert_refused(me(stack.api, dpop_headers(token, key.proof("GET", stack.api + ME, token))), "invalid_token",
                   "not DPoP-bound")


@pytest.mark.parametrize("cnf", [{"x5t#S256": "abc"}, "jkt", {"jkt": 7}])
def test_a_binding_the_api_cannot_check_is_refused(stack, mint, key, cnf):
    """A `cnf` without a DPoP thumbprint (mTLS's `x5t#S256`, or malformed) must not pass as unbound."""
    token = mint(cnf=cnf)
    assert_refused(me(stack.api, dpop_headers(token, key.proof("GET", stack.api + ME, token))), "invalid_token",
                   "`cnf`")
    assert_refused(me(stack.api, bearer(token)), "invalid_token", "`cnf`")


def test_the_api_s_own_jwts_stay_bearer_tokens(stack, redis_db):
    login = requests.post(stack.api + "/api/jwt/login", json={"username": "alice", "password": "wonderland"},
                          timeout=5)
    assert me(stack.api, bearer(login.json()["access_token"])).status_code == 200
