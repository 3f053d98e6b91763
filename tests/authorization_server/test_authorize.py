"""The authorization endpoint and the login page: exact redirect URIs, PKCE S256 only, `iss` in every answer to the
client (RFC 9207), `prompt=none` from the AS session, and login and logout forms that only its own page can post."""

import logging
import re

import pytest

from tests.authorization_server.conftest import A_REDIRECT, query

ISSUER = "http://127.0.0.1:8003"


def test_a_logged_in_user_gets_a_code_with_the_state_and_the_issuer(flow):
    flow.signed_in()
    response = flow.authorize()
    assert response.status_code == 302
    assert response.headers["Location"].startswith(A_REDIRECT + "?")
    params = query(response)
    assert params["state"] == "s-1" and params["iss"] == ISSUER and len(params["code"]) >= 43
    assert response.headers["Cache-Control"] == "no-store"


def test_without_a_session_authorize_sends_the_browser_to_the_login_page_and_back(flow):
    response = flow.authorize()
    assert response.status_code == 303 and response.headers["Location"].startswith("/login?next=%2Fauthorize%3F")
    next_ = query(response)["next"]
    back = flow.login(next_=next_)
    assert back.status_code == 303 and back.headers["Location"] == next_
    assert "code" in query(flow.client.get(next_))


PKCE_REFUSED = {
    "no-challenge": {"code_challenge": None, "code_challenge_method": None},
    "plain": {"code_challenge_method": "plain"},
    "no-method-means-plain": {"code_challenge_method": None},
    "unknown-method": {"code_challenge_method": "S512"},
    "short-challenge": {"code_challenge": "abc"},
}


@pytest.mark.parametrize("params", PKCE_REFUSED.values(), ids=PKCE_REFUSED)
def test_pkce_s256_is_required_anything_else_is_invalid_request_at_the_client(flow, params):
    """RFC 9700 §2.1.1 / RFC 10017: S256 only; the error goes back to the (verified) redirect URI with state and iss."""
    flow.signed_in()
    response = flow.authorize(**params)
    assert response.status_code == 302
    answer = query(response)
    assert (answer["error"], answer["state"], answer["iss"]) == ("invalid_request", "s-1", ISSUER)
    assert "code" not in answer


MISMATCHED = {
    "other-path": "http://localhost:8001/callback",
    "trailing-query": "http://localhost:8001/?x=1",
    "other-port": "http://localhost:9999/",
    "other-host": "http://127.0.0.1:8001/",
    "no-trailing-slash": "http://localhost:8001",
    "the-other-page": "http://127.0.0.1:8002/",
    "attacker": "https://evil.example/",
}


@pytest.mark.parametrize("redirect_uri", MISMATCHED.values(), ids=MISMATCHED)
def test_a_redirect_uri_not_registered_exactly_is_refused_without_redirecting(flow, redirect_uri):
    """RFC 6749 §4.1.2.1: never redirect to an unverified URI; the RFC's error body, here, instead."""
    flow.signed_in()
    response = flow.authorize(redirect_uri=redirect_uri)
    assert response.status_code == 400 and "Location" not in response.headers
    assert response.get_json()["error"] == "invalid_request"


@pytest.mark.parametrize(("params", "error"), [
    ({"client_id": "nobody"}, "invalid_client"),
    ({"client_id": None}, "invalid_client"),
    ({"redirect_uri": None}, "invalid_request"),
])
def test_an_unknown_client_or_a_missing_redirect_uri_is_answered_here(flow, params, error):
    response = flow.authorize(**params)
    assert response.status_code in (400, 401) and "Location" not in response.headers
    assert response.get_json()["error"] == error


def test_an_implicit_grant_is_not_offered(flow):
    flow.signed_in()
    response = flow.authorize(response_type="token")
    assert response.status_code == 302 and query(response)["error"] == "unsupported_response_type"


def test_prompt_none_without_a_session_answers_login_required_at_the_client(flow):
    response = flow.authorize(prompt="none")
    assert response.status_code == 302 and response.headers["Location"].startswith(A_REDIRECT)
    answer = query(response)
    assert (answer["error"], answer["state"], answer["iss"]) == ("login_required", "s-1", ISSUER)


def test_prompt_none_with_a_session_answers_with_a_code_and_no_page(flow):
    flow.signed_in()
    assert "code" in query(flow.authorize(prompt="none"))


def test_the_session_ends_after_the_absolute_timeout(flow, clock_at):
    clock_at(1_000_000.0)
    flow.login()
    clock_at(1_000_000.0 + 28_801)
    assert query(flow.authorize(prompt="none"))["error"] == "login_required"


def test_the_login_page_is_a_form_with_a_strict_policy(flow):
    page = flow.client.get("/login")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert all(f'name="{field}"' in html for field in ("username", "password", "csrf"))
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "form-action 'self' http://127.0.0.1:8002 http://127.0.0.1:8005 http://localhost:8001" in policy
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith("as_session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_wrong_password_shows_the_form_again_with_a_401(flow):
    response = flow.login(password="wrong")
    assert response.status_code == 401 and "Wrong username or password." in response.get_data(as_text=True)
    assert query(flow.authorize(prompt="none"))["error"] == "login_required"


@pytest.mark.parametrize(("form", "headers", "status", "error"), [
    ({"username": "alice", "password": "wonderland"}, {}, 403, "csrf_failed"),
    ({"username": "alice", "password": "wonderland", "csrf": "guess"}, {}, 403, "csrf_failed"),
    ({"username": "alice", "password": "wonderland", "csrf": "FROM-PAGE"}, {"Origin": "http://localhost:8001"},
     403, "origin_not_allowed"),
    ({"username": "alice", "csrf": "FROM-PAGE"}, {}, 400, "invalid_request"),
], ids=["no-csrf", "wrong-csrf", "foreign-origin", "no-password"])
def test_a_login_post_not_from_the_page_is_refused_in_json(flow, form, headers, status, error):
    """Login CSRF: another page must not log the browser into someone's account at the AS."""
    csrf = re.search(r'name="csrf" value="([^"]+)"', flow.client.get("/login").get_data(as_text=True)).group(1)
    form = {k: csrf if v == "FROM-PAGE" else v for k, v in form.items()}
    response = flow.client.post("/login", data=form, headers=headers)
    assert response.status_code == status
    assert response.get_json()["error"] == error


def page_csrf(flow):
    """The CSRF token the AS's page carries now (its login and logout forms share it)."""
    return re.search(r'name="csrf" value="([^"]+)"', flow.client.get("/login").get_data(as_text=True)).group(1)


def test_logging_out_at_the_as_ends_its_session_and_the_next_authorize_asks_again(flow, caplog):
    """The page's Log out: no AS session any more (a silent flow gets login_required, a normal one the form), while
    the tokens an app already holds live on: logging out of the identity provider is not logging out of the apps.
    The audit log says who logged out."""
    refresh_token = flow.tokens()["refresh_token"]  # signed in, an app's tokens
    page = flow.client.get("/login").get_data(as_text=True)
    assert "Signed in as alice" in page and 'action="/logout"' in page
    caplog.set_level(logging.INFO, logger="authlab.audit")
    response = flow.client.post("/logout", data={"csrf": page_csrf(flow)})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert any(r.getMessage().startswith("logout method=as_login outcome=ok status=303 user='alice'")
               for r in caplog.records if r.name == "authlab.audit")
    page = flow.client.get("/login").get_data(as_text=True)
    assert "Not signed in." in page and 'action="/logout"' not in page
    assert query(flow.authorize(prompt="none"))["error"] == "login_required"
    assert flow.authorize().headers["Location"].startswith("/login?")
    assert flow.refresh(refresh_token).status_code == 200


@pytest.mark.parametrize(("form", "headers", "error"), [
    ({}, {}, "csrf_failed"),
    ({"csrf": "guess"}, {}, "csrf_failed"),
    ({"csrf": "FROM-PAGE"}, {"Origin": "http://localhost:8001"}, "origin_not_allowed"),
], ids=["no-csrf", "wrong-csrf", "foreign-origin"])
def test_a_logout_post_not_from_the_page_is_refused_and_the_session_stays(flow, form, headers, error):
    """Logout CSRF: another page must not sign the browser out of the AS (a nuisance, and a step of some attacks)."""
    flow.signed_in()
    form = {k: page_csrf(flow) if v == "FROM-PAGE" else v for k, v in form.items()}
    response = flow.client.post("/logout", data=form, headers=headers)
    assert response.status_code == 403 and response.get_json()["error"] == error
    assert "code" in query(flow.authorize(prompt="none"))


def test_after_login_the_page_sends_you_only_back_to_authorize(flow):
    """No open redirect: `next` elsewhere lands on the AS's own root."""
    assert flow.login(next_="https://evil.example/").headers["Location"] == "/"


def test_the_login_form_is_rate_limited_per_username_like_every_login(make_flow):
    """Two wrong passwords (the limit here), then even the right one is a 429 and is never checked."""
    flow = make_flow(LOGIN_USER_LIMIT="2/minute")
    assert [flow.login(password="wrong").status_code for _ in range(2)] == [401, 401]
    locked = flow.login()
    assert locked.status_code == 429 and locked.get_json()["error"] == "rate_limited"
    assert int(locked.headers["Retry-After"]) >= 1


@pytest.mark.parametrize("params", [
    {"redirect_uri": 'http://localhost:8001/"'}, {"redirect_uri": "http://localhost:8001/\\"},
    {"redirect_uri": "http://localhost:8001/é"}, {"response_type": 'code"'}, {"response_type": "cödé"},
], ids=["quote-in-uri", "backslash-in-uri", "non-ascii-uri", "quote-in-type", "non-ascii-type"])
def test_parameters_authlib_would_quote_in_an_error_are_a_400_not_a_500(flow, params):
    """Authlib refuses to build an error description holding them (a ValueError): they are refused before it."""
    flow.signed_in()
    response = flow.authorize(**params)
    assert response.status_code == 400 and "Location" not in response.headers
    assert response.get_json()["error"] == "invalid_request"


@pytest.mark.parametrize(("path", "form"), [
    ("/token", {"grant_type": 'é"\\'}),
    ("/token", {"grant_type": "authorization_code", "client_id": 'é"\\', "code": "x"}),
    ("/token", {"grant_type": "refresh_token", "client_id": "authlab-a", "refresh_token": 'é"', "scope": 'é"'}),
    ("/revoke", {"token": 'é"\\', "client_id": 'é"\\', "token_type_hint": 'é"'}),
    ("/revoke", {"token": "x", "client_id": "authlab-a", "token_type_hint": "id_token"}),
], ids=["grant-type", "client-id", "refresh-and-scope", "revoke-junk", "revoke-unknown-hint"])
def test_junk_at_the_token_and_revocation_endpoints_is_a_json_4xx(flow, path, form):
    response = flow.client.post(path, data=form)
    assert 400 <= response.status_code < 500 and response.is_json
    assert response.get_json()["error"] in {"invalid_request", "invalid_client", "invalid_grant",
                                            "unsupported_grant_type", "unsupported_token_type", "invalid_scope"}


@pytest.mark.parametrize("demo", [True, False], ids=["demo-on", "demo-off"])
def test_the_login_page_names_the_demo_users_only_with_the_demo_options(make_flow, demo):
    page = make_flow(DEMO_COOKIE_OPTIONS=demo).client.get("/login").get_data(as_text=True)
    assert ("alice / wonderland" in page) is demo


def test_over_https_the_as_session_is_a_secure_host_only_cookie(make_flow):
    page = make_flow(ISSUER_ORIGIN="https://127.0.0.1:8003").client.get("/login", base_url="https://127.0.0.1:8003")
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith("__Host-as_session=") and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie
