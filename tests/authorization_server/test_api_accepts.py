"""End to end over HTTP: a real AS process and the API's issuer method, which verifies the code flow's access token
from the AS's JWKS exactly as it did the old issuer's."""

import re
from urllib.parse import parse_qs, urlsplit

import requests

from tests.authorization_server.conftest import A_REDIRECT, challenge
from tests.helpers import bearer


def code_from_a_real_server(issuer, verifier="v" * 50):
    """(code, verifier) for alice and authlab-a, the way a browser gets it: the login page, then /authorize."""
    browser = requests.Session()
    page = browser.get(f"{issuer.origin}/login", timeout=5).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    authorize = "/authorize?" + requests.compat.urlencode({
        "response_type": "code", "client_id": "authlab-a", "redirect_uri": A_REDIRECT, "state": "e2e",
        "code_challenge": challenge(verifier), "code_challenge_method": "S256"})
    login = browser.post(f"{issuer.origin}/login", data={"username": "alice", "password": "wonderland", "csrf": csrf,
                                                         "next": authorize}, allow_redirects=False, timeout=5)
    assert login.status_code == 303
    answer = browser.get(issuer.origin + login.headers["Location"], allow_redirects=False, timeout=5)
    params = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert params["iss"] == [issuer.origin]
    return params["code"][0], verifier


def test_the_api_accepts_an_access_token_from_the_code_flow(make_app, issuer):
    code, verifier = code_from_a_real_server(issuer)
    tokens = requests.post(f"{issuer.origin}/token", timeout=5, data={
        "grant_type": "authorization_code", "code": code, "client_id": "authlab-a",
        "redirect_uri": A_REDIRECT, "code_verifier": verifier}).json()
    response = make_app(ISSUER_ORIGIN=issuer.origin).test_client().get("/api/jwt/me",
                                                                     headers=bearer(tokens["access_token"]))
    assert response.status_code == 200
    body = response.get_json()
    assert (body["user"], body["claims"]["iss"], body["claims"]["client_id"]) == ("alice", issuer.origin, "authlab-a")


def redeem(issuer, code, verifier):
    return requests.post(f"{issuer.origin}/token", timeout=5, data={
        "grant_type": "authorization_code", "code": code, "client_id": "authlab-a", "redirect_uri": A_REDIRECT,
        "code_verifier": verifier})


def me(api, access_token):
    return api.get("/api/jwt/me", headers=bearer(access_token))


def test_a_reused_code_ends_the_access_token_it_issued_at_the_api_too(make_app, issuer):
    """RFC 6749 §4.1.2: revoke what the code issued. The family's id is the token's `sid`: the API's ended marker."""
    api = make_app(ISSUER_ORIGIN=issuer.origin).test_client()
    code, verifier = code_from_a_real_server(issuer)
    access_token = redeem(issuer, code, verifier).json()["access_token"]
    assert me(api, access_token).status_code == 200
    assert redeem(issuer, code, verifier).json()["error"] == "invalid_grant"
    refused = me(api, access_token)
    assert refused.status_code == 401
    assert refused.get_json()["message"] == ("this token's refresh family was revoked (logout or reuse of a spent "
                                             "refresh token)")


def test_revoking_an_access_token_puts_it_on_the_apis_denylist(make_app, issuer):
    api = make_app(ISSUER_ORIGIN=issuer.origin).test_client()
    tokens = redeem(issuer, *code_from_a_real_server(issuer)).json()
    revoked = requests.post(f"{issuer.origin}/revoke", data={"token": tokens["access_token"], "client_id": "authlab-a",
                                                             "token_type_hint": "access_token"}, timeout=5)
    assert revoked.status_code == 200
    assert me(api, tokens["access_token"]).get_json()["message"] == "this token was logged out"
    refreshed = requests.post(f"{issuer.origin}/token", timeout=5, data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": "authlab-a"}).json()
    assert me(api, refreshed["access_token"]).status_code == 200  # the family lives on: one token was revoked


def test_the_apis_logout_of_an_access_token_ends_its_family_at_the_as(make_app, issuer):
    api = make_app(ISSUER_ORIGIN=issuer.origin).test_client()
    tokens = redeem(issuer, *code_from_a_real_server(issuer)).json()
    assert api.post("/api/jwt/logout", headers=bearer(tokens["access_token"])).status_code == 204
    refreshed = requests.post(f"{issuer.origin}/token", timeout=5, data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": "authlab-a"})
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"


def test_logging_out_everywhere_at_the_api_ends_the_as_families_begun_before(make_app, issuer):
    from tests.helpers import basic_header

    api = make_app(ISSUER_ORIGIN=issuer.origin).test_client()
    tokens = redeem(issuer, *code_from_a_real_server(issuer)).json()
    assert api.post("/api/logout-all", headers=basic_header("alice", "wonderland")).status_code == 200
    assert me(api, tokens["access_token"]).status_code == 401
    refreshed = requests.post(f"{issuer.origin}/token", timeout=5, data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": "authlab-a"})
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    assert me(api, redeem(issuer, *code_from_a_real_server(issuer)).json()["access_token"]).status_code == 200
