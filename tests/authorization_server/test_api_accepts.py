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
