"""Cookie tossing: a page on another port of this host sets a second cookie of an auth name; neither is trusted."""

import pytest

from backend.methods import REGISTRY
from tests.helpers import SESSION_COOKIE

# (method, cookie, its path) for every auth cookie of every registered method
COOKIES = [(method.name, cookie, path) for method in REGISTRY for cookie, path in method.cookies.items()]
ME_COOKIES = [entry for entry in COOKIES if entry[2] == "/"]  # jwt_refresh (Path=/api/jwt) authenticates no `me`


def cookie_login(app, method, username, password):
    """A client logged in by `method` with cookie transport (a session is always a cookie)."""
    client = app.test_client()
    extra = {} if method == "session" else {"transport": "cookie"}
    response = client.post(f"/api/{method}/login", json={"username": username, "password": password, **extra})
    assert response.status_code == 200, response.get_json()
    return client


def send(app, method, path, cookie_header):
    """The request that authenticates with a cookie on `path`, carrying exactly `cookie_header` as a browser would."""
    verb, url = ("GET", f"/api/{method}/me") if path == "/" else ("POST", "/api/jwt/refresh")
    return app.test_client(use_cookies=False).open(url, method=verb, headers={"Cookie": cookie_header})


@pytest.mark.parametrize(("method", "cookie", "path"), COOKIES, ids=[entry[1] for entry in COOKIES])
def test_two_cookies_of_one_auth_name_are_refused_with_a_reason(app, method, cookie, path):
    """The attacker's cookie (longer Path, so sent first) and the victim's: the API must not pick either."""
    attacker = cookie_login(app, method, "bob", "builder").get_cookie(cookie, path=path).value
    victim = cookie_login(app, method, "alice", "wonderland").get_cookie(cookie, path=path).value
    response = send(app, method, path, f"{cookie}={attacker}; {cookie}={victim}")
    assert response.status_code == 401
    assert "cookie tossing" in response.get_json()["message"]


@pytest.mark.parametrize(("method", "cookie", "path"), ME_COOKIES, ids=[entry[1] for entry in ME_COOKIES])
def test_one_cookie_of_each_name_still_works(app, method, cookie, path):
    victim = cookie_login(app, method, "alice", "wonderland").get_cookie(cookie).value
    response = send(app, method, path, f"{cookie}={victim}")
    assert response.status_code == 200 and response.get_json()["user"] == "alice"


def test_logout_all_refuses_a_tossed_session_cookie_with_the_reason(app):
    attacker = cookie_login(app, "session", "bob", "builder").get_cookie(SESSION_COOKIE).value
    victim = cookie_login(app, "session", "alice", "wonderland").get_cookie(SESSION_COOKIE).value
    client = app.test_client(use_cookies=False)
    tossed = f"{SESSION_COOKIE}={attacker}; {SESSION_COOKIE}={victim}"
    response = client.post("/api/logout-all", headers={"Cookie": tossed})
    assert response.status_code == 401 and "cookie tossing" in response.get_json()["message"]
