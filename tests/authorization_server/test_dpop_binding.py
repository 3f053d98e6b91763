"""DPoP at the token endpoint (RFC 9449 §5): a proof binds the access token (`cnf.jkt`, `token_type: DPoP`) and a public
client's refresh tokens to its key; a bad or replayed proof is `invalid_dpop_proof`."""

import base64

import jwt
import pytest
import requests

from tests.authorization_server.conftest import A_REDIRECT, BFF_SECRET
from tests.authorization_server.test_api_accepts import code_from_a_real_server
from tests.dpop_client import ProofKey
from tests.helpers import bearer

TOKEN_URL = "http://127.0.0.1:8003/token"


@pytest.fixture(scope="module")
def key():
    return ProofKey("ES256")


def test_a_proof_binds_the_access_token_to_its_key(flow, key):
    response = dpop_redeem(flow, key.proof("POST", TOKEN_URL))
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "DPoP"
    assert jwt.decode(body["access_token"], options={"verify_signature": False})["cnf"] == {"jkt": key.jkt}


def dpop_redeem(flow, proof):
    return flow.client.post("/token", headers={"DPoP": proof}, data={
        "grant_type": "authorization_code", "code": flow.code(), "client_id": "authlab-a",
        "redirect_uri": A_REDIRECT, "code_verifier": flow.verifier})


BAD_PROOFS = {
    "other-url": lambda key: key.proof("POST", "http://127.0.0.1:8003/revoke"),
    "other-method": lambda key: key.proof("GET", TOKEN_URL),
    "stale": lambda key: key.proof("POST", TOKEN_URL, iat=1_000_000_000),
    "not-a-jwt": lambda key: "not-a-proof",
}


@pytest.mark.parametrize("make_proof", BAD_PROOFS.values(), ids=BAD_PROOFS)
def test_a_bad_proof_is_invalid_dpop_proof_and_issues_nothing(flow, key, make_proof):
    response = dpop_redeem(flow, make_proof(key))
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_dpop_proof"


def test_a_replayed_proof_is_refused(flow, key):
    proof = key.proof("POST", TOKEN_URL)
    assert dpop_redeem(flow, proof).status_code == 200
    response = dpop_redeem(flow, proof)
    assert response.status_code == 400 and "used before" in response.get_json()["error_description"]


def refresh(flow, refresh_token, proof=None, client_id="authlab-a", headers=None):
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
    return flow.client.post("/token", headers={**({"DPoP": proof} if proof else {}), **(headers or {})},
                            data={k: v for k, v in form.items() if v is not None})


@pytest.mark.parametrize("other", ["none", "another-key"])
def test_a_public_clients_refresh_token_needs_a_proof_by_the_same_key(flow, key, other):
    refresh_token = dpop_redeem(flow, key.proof("POST", TOKEN_URL)).get_json()["refresh_token"]
    proof = ProofKey("ES256").proof("POST", TOKEN_URL) if other == "another-key" else None
    response = refresh(flow, refresh_token, proof)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"
    again = refresh(flow, refresh_token, key.proof("POST", TOKEN_URL))  # the stolen copy failed; the holder goes on
    assert again.status_code == 200 and again.get_json()["token_type"] == "DPoP"


def test_a_bffs_refresh_token_is_not_bound_it_authenticates_with_its_secret(flow, key):
    bff = {"client_id": "authlab-bff-a", "redirect_uri": "http://localhost:8004/bff/callback"}
    basic = {"Authorization": "Basic " + base64.b64encode(f"authlab-bff-a:{BFF_SECRET}".encode()).decode()}
    response = flow.client.post("/token", headers={**basic, "DPoP": key.proof("POST", TOKEN_URL)}, data={
        "grant_type": "authorization_code", "code": flow.code(**bff), "redirect_uri": bff["redirect_uri"],
        "code_verifier": flow.verifier})
    assert response.get_json()["token_type"] == "DPoP"
    refreshed = refresh(flow, response.get_json()["refresh_token"], client_id=None, headers=basic)
    assert refreshed.status_code == 200 and refreshed.get_json()["token_type"] == "Bearer"


def test_the_api_takes_a_dpop_bound_token_only_with_a_proof_by_its_key(make_app, issuer, key):
    """The whole chain on real processes: the AS binds, the API (its issuer method) insists."""
    code, verifier = code_from_a_real_server(issuer)
    proof_for_the_as = key.proof("POST", f"{issuer.origin}/token")
    tokens = requests.post(f"{issuer.origin}/token", timeout=5, headers={"DPoP": proof_for_the_as},
                           data={"grant_type": "authorization_code", "code": code, "client_id": "authlab-a",
                                 "redirect_uri": A_REDIRECT, "code_verifier": verifier}).json()
    api = make_app(ISSUER_ORIGIN=issuer.origin).test_client()
    access_token = tokens["access_token"]
    assert api.get("/api/jwt/me", headers=bearer(access_token)).status_code == 401
    proof = key.proof("GET", "http://localhost:8000/api/jwt/me", access_token)
    response = api.get("/api/jwt/me", headers={"Authorization": f"DPoP {access_token}", "DPoP": proof})
    assert response.status_code == 200 and response.get_json()["claims"]["cnf"] == {"jkt": key.jkt}
