"""The one extraction layer every token method shares (backend/methods/bearer.py): header or cookie, never the URL."""

import pytest

from tests.helpers import BEARER_METHODS, CREDENTIAL_COOKIE, JWT_REFRESH_COOKIE, access_token, bearer, token_login

METHODS = BEARER_METHODS
COOKIES = CREDENTIAL_COOKIE
LOGOUT_STATUS = {"token": 204, "signed": 200, "jwt": 204}
CHALLENGE = 'Bearer realm="auth-demo"'
REJECTED = 'Bearer realm="auth-demo", error="invalid_token"'


def ttl_of(app, method):
    return app.config["JWT_ACCESS_TTL" if method == "jwt" else "TOKEN_TTL"]


def cookie_login(client, method, **extra):
    response = token_login(client, method, transport="cookie", **extra)
    assert response.status_code == 200
    return response


def set_cookies(response, name):
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]


@pytest.mark.parametrize("method", METHODS)
def test_header_transport_returns_the_token_in_the_body(client, app, method):
    response = token_login(client, method)
    assert response.status_code == 200
    body = response.get_json()
    expected = {"access_token": body["access_token"], "token_type": "Bearer", "expires_in": ttl_of(app, method),
                "viewer": body["viewer"]}  # demo mode: the key the page shows "The server keeps" with
    if method == "jwt":
        expected["refresh_token"] = body["refresh_token"]
    assert body == expected
    assert response.headers.getlist("Set-Cookie") == []


@pytest.mark.parametrize("method", METHODS)
def test_cookie_transport_sets_an_httponly_cookie_and_keeps_the_token_out_of_the_body(client, app, method):
    response = cookie_login(client, method)
    body = response.get_json()
    assert body == {
        "transport": "cookie",
        "expires_in": ttl_of(app, method),
        "csrf_token": body["csrf_token"],
        "cookie": {"samesite": "Lax", "secure": False, "partitioned": False},
        "viewer": body["viewer"],
    }
    [cookie] = set_cookies(response, COOKIES[method])
    assert {"HttpOnly", "Path=/", "SameSite=Lax"} <= set(cookie.split("; "))
    assert client.get_cookie(COOKIES[method]).value not in response.get_data(as_text=True)


def test_jwt_refresh_cookie_is_httponly_and_only_sent_to_the_jwt_endpoints(client):
    [cookie] = set_cookies(cookie_login(client, "jwt"), JWT_REFRESH_COOKIE)
    assert {"HttpOnly", "Path=/api/jwt", "SameSite=Lax"} <= set(cookie.split("; "))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("transport", ["header", "cookie"])
def test_me_accepts_the_token_from_the_header_or_the_cookie(client, method, transport):
    if transport == "header":
        response = client.get(f"/api/{method}/me", headers=bearer(access_token(client, method)))
    else:
        csrf_token = cookie_login(client, method).get_json()["csrf_token"]
        response = client.get(f"/api/{method}/me")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["user"], body["method"], body["role"], body["transport"]) == ("alice", method, "user", transport)
    if transport == "cookie":
        assert body["csrf_token"] == csrf_token  # a reloaded page can recover it


@pytest.mark.parametrize("method", METHODS)
def test_no_token_is_401_with_the_bare_bearer_challenge(client, method):
    response = client.get(f"/api/{method}/me")
    assert response.status_code == 401
    assert response.get_json() == {
        "error": "unauthorized",
        "message": f"no token: send `Authorization: Bearer <token>` or the {COOKIES[method]} cookie (never the URL)",
    }
    assert response.headers["WWW-Authenticate"] == CHALLENGE


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("parameter", ["access_token", "token"])
def test_a_valid_token_in_the_url_query_is_never_accepted(client, method, parameter):
    token = access_token(client, method)
    response = client.get(f"/api/{method}/me", query_string={parameter: token})
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"] == CHALLENGE


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Bearer a.b", "Bearer a.b.c.d", "Bearer " + "x" * 10_000, "Bearer ünïcødé", "bearer junk"],
    ids=["scheme-only", "empty", "two-parts", "four-parts", "10KB", "non-ascii", "lowercase-scheme-junk"],
)
def test_junk_tokens_are_401_invalid_token_never_5xx(client, method, header):
    response = client.get(f"/api/{method}/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_token"
    assert response.headers["WWW-Authenticate"] == REJECTED


@pytest.mark.parametrize("method", METHODS)
def test_another_scheme_is_no_token(client, method):
    response = client.get(f"/api/{method}/me", headers={"Authorization": "Basic YWxpY2U6d29uZGVybGFuZA=="})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == CHALLENGE


@pytest.mark.parametrize("method", METHODS)
def test_the_header_is_tried_before_the_cookie(client, method):
    cookie_login(client, method)
    response = client.get(f"/api/{method}/me", headers=bearer("not-a-valid-token"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == REJECTED


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("login_from", "use_from"), [("A", "B"), ("B", "A")])
def test_a_token_obtained_from_one_frontend_is_accepted_from_the_other(client, app, method, login_from, use_from):
    """The notes: a token is "sharable between multiple frontends" — the Origin plays no part in checking it."""
    origins = {"A": app.config["FRONTEND_A_ORIGIN"], "B": app.config["FRONTEND_B_ORIGIN"]}
    login = client.post(
        f"/api/{method}/login", json={"username": "alice", "password": "wonderland"},
        headers={"Origin": origins[login_from]}
    )
    response = client.get(f"/api/{method}/me",
                          headers={**bearer(login.get_json()["access_token"]), "Origin": origins[use_from]})
    assert response.status_code == 200
    assert response.get_json()["user"] == "alice"
    assert response.headers["Access-Control-Allow-Origin"] == origins[use_from]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("username", "password"), [("alice", "wrong"), ("nobody", "wonderland")])
def test_wrong_credentials_are_401_json_without_a_challenge(client, method, username, password):
    response = token_login(client, method, username, password)
    assert response.status_code == 401
    assert response.get_json() == {"error": "invalid_credentials", "message": "wrong username or password"}
    assert "WWW-Authenticate" not in response.headers


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("kwargs", "status", "error"),
    [
        ({"data": "username=alice&password=wonderland", "content_type": "application/x-www-form-urlencoded"},
         415, "unsupported_media_type"),
        ({"json": {"username": "alice", "password": "wonderland", "transport": "url"}}, 400, "invalid_request"),
        ({"json": {"username": "alice", "password": "wonderland", "transport": "cookie", "samesite": "lax-ish"}},
         400, "invalid_request"),
        ({"json": {"username": "alice", "password": "x" * 100_000}}, 413, "request_entity_too_large"),
    ],
    ids=["form-body", "unknown-transport", "bad-samesite", "huge-body"],
)
def test_bad_login_bodies_get_json_errors(client, method, kwargs, status, error):
    response = client.post(f"/api/{method}/login", **kwargs)
    assert response.status_code == status
    assert response.get_json()["error"] == error


@pytest.mark.parametrize("method", METHODS)
def test_login_from_a_foreign_origin_is_403(client, method):
    body = {"username": "alice", "password": "wonderland", "transport": "cookie"}
    response = client.post(f"/api/{method}/login", json=body, headers={"Origin": "http://evil.example"})
    assert response.status_code == 403
    assert response.get_json()["error"] == "origin_not_allowed"
    assert response.headers.getlist("Set-Cookie") == []


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({}, "csrf_failed"),
        ({"X-CSRF-Token": "wrong"}, "csrf_failed"),
        ({"X-CSRF-Token": None, "Origin": "http://evil.example"}, "origin_not_allowed"),
    ],
    ids=["no-token", "wrong-token", "foreign-origin"],
)
def test_cookie_transport_logout_needs_the_csrf_token_and_an_allowed_origin(client, method, headers, error):
    csrf_token = cookie_login(client, method).get_json()["csrf_token"]
    response = client.post(f"/api/{method}/logout", headers={k: v or csrf_token for k, v in headers.items()})
    assert response.status_code == 403
    assert response.get_json()["error"] == error
    assert client.get(f"/api/{method}/me").status_code == 200  # nothing was changed


@pytest.mark.parametrize("method", METHODS)
def test_header_transport_logout_needs_no_csrf_token(client, method):
    """A header is never sent by the browser on its own, so it cannot be forged cross-site."""
    response = client.post(f"/api/{method}/logout", headers=bearer(access_token(client, method)))
    assert response.status_code == LOGOUT_STATUS[method]


@pytest.mark.parametrize("method", METHODS)
def test_cookie_logout_expires_a_partitioned_cookie_with_partitioned(client, app, method):
    login = cookie_login(client, method, samesite="None", partitioned=True)
    [set_cookie] = set_cookies(login, COOKIES[method])
    assert {"SameSite=None", "Secure", "Partitioned"} <= set(set_cookie.split("; "))
    headers = {"X-CSRF-Token": login.get_json()["csrf_token"], "Origin": app.config["FRONTEND_B_ORIGIN"]}
    response = client.post(f"/api/{method}/logout", headers=headers)
    assert response.status_code == LOGOUT_STATUS[method]
    [expired] = set_cookies(response, COOKIES[method])
    assert "Expires=Thu, 01 Jan 1970" in expired and {"Partitioned", "SameSite=None"} <= set(expired.split("; "))


def test_notes_tokens_grow_with_what_they_carry(client):
    """The notes: tokens "can grow large since it contains ... user info" — true of self-contained tokens only."""
    opaque = {access_token(client, "token"), access_token(client, "token", username="zoë", password="pässwörd")}
    signed = access_token(client, "signed")
    cookie_login(client, "signed")
    signed_with_cookie_options = client.get_cookie(COOKIES["signed"]).value
    jwt = access_token(client, "jwt")
    assert {len(token) for token in opaque} == {43}  # a random reference: the same size whatever it stands for
    assert len(signed_with_cookie_options) > len(signed) > 43  # each field carried makes it longer
    assert len(jwt) > len(signed)  # JSON header + claims + signature, all base64url


@pytest.mark.parametrize(("method", "transport"),
                         [("session", "cookie"), *((m, t) for m in METHODS for t in ("header", "cookie"))])
def test_a_response_that_carries_a_credential_is_never_cached(client, method, transport):
    """Token bodies and auth Set-Cookies say `Cache-Control: no-store`; so does a refresh's new pair."""
    response = token_login(client, method, transport=transport)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    if method == "jwt":
        sent = {"json": {"refresh_token": response.get_json()["refresh_token"]}} if transport == "header" else {
            "headers": {"X-CSRF-Token": response.get_json()["csrf_token"]}}
        refreshed = client.post("/api/jwt/refresh", **sent)
        assert refreshed.status_code == 200 and refreshed.headers["Cache-Control"] == "no-store"
