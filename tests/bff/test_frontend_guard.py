"""The BFF's CSRF and CORS rules: `X-CSRF: 1` and its own frontend's exact Origin on every call that uses the session,
an allowlist of forwarded paths, and CORS for that frontend alone."""

import pytest

from tests.bff.conftest import AS_ORIGIN, FRONTEND_A, FRONTEND_B

CALLS = [("GET", "/bff/api/jwt/me"), ("GET", "/bff/token"), ("POST", "/bff/logout")]
OWN = {"X-CSRF": "1", "Origin": FRONTEND_A}


@pytest.mark.parametrize(("method", "path"), CALLS)
@pytest.mark.parametrize(("headers", "error"), [
    ({"Origin": FRONTEND_A}, "csrf_failed"),  # a form or an <img> cannot add the header
    ({"X-CSRF": "0", "Origin": FRONTEND_A}, "csrf_failed"),
    ({"X-CSRF": "1"}, "origin_not_allowed"),  # no Origin at all
    ({"X-CSRF": "1", "Origin": FRONTEND_B}, "origin_not_allowed"),  # the other site's page
    ({"X-CSRF": "1", "Origin": AS_ORIGIN}, "origin_not_allowed"),  # the trap: the AS is same-site with BFF-B
    ({"X-CSRF": "1", "Origin": "null"}, "origin_not_allowed"),  # a sandboxed frame or a data: page
    ({"X-CSRF": "1", "Origin": FRONTEND_A + "/"}, "origin_not_allowed"),  # exact, not a prefix
])
def test_a_call_without_the_header_or_from_another_origin_is_403_and_the_session_lives(logged_in, method, path,
                                                                                        headers, error):
    response = logged_in.open(path, method=method, headers=headers)
    assert response.status_code == 403
    assert response.get_json()["error"] == error
    assert logged_in.get("/bff/session").status_code == 200  # the refused logout ended nothing


def test_b_bff_refuses_the_authorization_servers_own_origin(make_bff):
    """BFF-B's Strict cookie reaches it from the AS's pages (same site, 127.0.0.1): the Origin check stops them."""
    client = make_bff("b").test_client()
    response = client.get("/bff/token", headers={"X-CSRF": "1", "Origin": AS_ORIGIN})
    assert response.status_code == 403
    assert response.get_json() == {"error": "origin_not_allowed",
                                   "message": f"only {FRONTEND_B} may use this BFF, not '{AS_ORIGIN}'"}


@pytest.mark.parametrize("path", ["session/me", "basic/admin", "jwt/refresh", "jwt/me/../../basic/me", "inspect", ""])
def test_only_allowlisted_paths_are_forwarded(logged_in, path):
    response = logged_in.get(f"/bff/api/{path}", headers=OWN)
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_an_allowlisted_call_is_forwarded_with_the_sessions_token(logged_in):
    response = logged_in.get("/bff/api/jwt/me", headers=OWN)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["user"] == "alice" and response.get_json()["method"] == "jwt"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/bff/api/jwt/me", "/bff/token", "/bff/logout"])
def test_without_a_session_the_guarded_calls_are_401_in_json(make_bff, path):
    client = make_bff().test_client()
    response = client.open(path, method="POST" if path.endswith("logout") else "GET", headers=OWN)
    if path.endswith("logout"):
        assert response.status_code == 204  # nothing to end; the cookie is expired all the same
    else:
        assert response.status_code == 401
        assert response.get_json() == {"error": "unauthorized", "message": "no BFF session: log in at /bff/login"}


def test_session_says_who_and_until_when_and_nothing_else(logged_in):
    response = logged_in.get("/bff/session")
    assert response.status_code == 200
    assert set(response.get_json()) == {"user", "expires_at"} and response.get_json()["user"] == "alice"


def test_cors_answers_its_own_frontend_with_credentials(make_bff):
    client = make_bff().test_client()
    preflight = client.options("/bff/api/jwt/me", headers={
        "Origin": FRONTEND_A, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-csrf"})
    assert preflight.headers["Access-Control-Allow-Origin"] == FRONTEND_A
    assert preflight.headers["Access-Control-Allow-Credentials"] == "true"
    assert "x-csrf" in preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "Origin" in preflight.headers["Vary"]


@pytest.mark.parametrize("origin", [FRONTEND_B, AS_ORIGIN, "null", "http://localhost:8004"])
def test_cors_answers_no_other_origin(make_bff, origin):
    client = make_bff().test_client()
    preflight = client.options("/bff/token", headers={
        "Origin": origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-csrf"})
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert "Access-Control-Allow-Origin" not in client.get("/bff/session", headers={"Origin": origin}).headers


@pytest.mark.parametrize(("overrides", "message"), [
    ({"BFF_SITE": "c"}, "BFF_SITE must be a or b"),
    ({"BFF_A_CLIENT_SECRET": ""}, "BFF_A_CLIENT_SECRET is unset"),
])
def test_a_bff_without_its_site_or_secret_refuses_to_start(make_bff, overrides, message):
    with pytest.raises(RuntimeError, match=message):
        make_bff(**overrides)


def test_an_authorization_server_that_does_not_answer_is_a_503_in_json(make_bff):
    from stack import procs

    client = make_bff(ISSUER_ORIGIN=f"http://127.0.0.1:{procs.free_port()}").test_client()
    response = client.get("/bff/login")
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert response.get_json()["error"] == "authorization_server_unavailable"


@pytest.mark.parametrize(("method", "path", "status"), [
    ("POST", "/bff/api/jwt/me", 405), ("DELETE", "/bff/token", 405), ("GET", "/bff/logout", 405),
    ("GET", "/bff/nothing", 404), ("GET", "/bff/callback", 400),
])
def test_wrong_methods_and_paths_are_json_errors(make_bff, method, path, status):
    response = make_bff().test_client().open(path, method=method, headers=OWN)
    assert response.status_code == status
    assert set(response.get_json()) == {"error", "message"}


@pytest.mark.parametrize(("origin", "cookie"), [
    ("http://localhost:8004", "bff_session=v; Expires={}; HttpOnly; Path=/; SameSite=Strict"),
    ("https://localhost:8004", "__Host-bff_session=v; Expires={}; Secure; HttpOnly; Path=/; SameSite=Strict"),
])
def test_the_session_cookie_is_strict_httponly_hostonly_and_over_https_secure_and_host_prefixed(make_bff, origin,
                                                                                                 cookie):
    from flask import make_response
    from werkzeug.http import http_date

    from backend.web import cookies
    from bff import session_views

    app = make_bff(BFF_A_ORIGIN=origin)
    with app.test_request_context():
        response = make_response("")
        cookies.set_cookie(response, "bff_session", "v", session_views._session_cookie_options(), 2_000_000_000)
    assert response.headers["Set-Cookie"] == cookie.format(http_date(2_000_000_000))
