"""Logging in through the BFF: code + PKCE at the AS, a session cookie for the page, logout that revokes at the AS."""

import jwt
from flask import Blueprint, current_app, jsonify, request

from kernel import clock
from kernel.http import cookies
from kernel.http.errors import ApiError

from . import authorization_client, session_store
from .frontend_guard import own_frontend_only

bp = Blueprint("bff_session", __name__, url_prefix="/bff")

LOGIN_COOKIE = "bff_login"  # the state of a login under way, so a callback only completes the browser's own login


def _session_cookie_options():
    """HttpOnly, SameSite=Strict, Path=/, no Domain; over HTTPS Secure (and `__Host-`, which cookies.name adds)."""
    return {"samesite": "Strict", "secure": current_app.config["HTTPS"], "partitioned": False}


def _login_cookie_options():
    """Lax, not Strict: the AS sends the browser back with a top-level redirect, cross-site for A."""
    return {"samesite": "Lax", "secure": current_app.config["HTTPS"], "partitioned": False}


def redirect_to(url):
    """A 302 with no body (Flask's `redirect` adds a small HTML page; nothing here answers in HTML)."""
    return current_app.response_class(status=302, headers={"Location": url})


def current_session():
    """(session ID, record) of this request's session cookie; 401 without a live one."""
    session_id = cookies.get(session_store.COOKIE)
    record = session_store.load(session_id) if session_id else None
    if record is None:
        raise ApiError(401, "unauthorized", "no BFF session: log in at /bff/login")
    return session_id, record


# A session is a backend-for-frontend (RFC 10017 section 6.1: its tokens never leave the server) unless the login asks
# for the token-mediating mode (section 6.2: `GET /bff/token` hands the page the access token, never the refresh one).
MODES = ("bff", "token-mediating")


@bp.get("/login")
def login():
    """curl -i 'localhost:8004/bff/login?mode=bff'   # 302 to the AS (code, PKCE S256, state); mode=token-mediating
    lets the session's page fetch its access token (`GET /bff/token`)."""
    mode = request.args.get("mode", "bff")
    if mode not in MODES:
        raise ApiError(400, "invalid_request", f"`mode` is one of {', '.join(MODES)}")
    url, state, verifier = authorization_client.authorization_url()
    session_store.start_login(state, verifier, mode)
    response = redirect_to(url)
    expires = clock.now() + session_store.LOGIN_SECONDS
    cookies.set_cookie(response, LOGIN_COOKIE, state, _login_cookie_options(), expires)
    return response


@bp.get("/callback")
def callback():
    """curl -i 'localhost:8004/bff/callback?code=...&state=...&iss=...'   # what the AS redirects the browser to."""
    state = request.args.get("state", "")
    started = session_store.finish_login(state) if state and state == cookies.get(LOGIN_COOKIE) else None
    if started is None:
        raise ApiError(400, "invalid_state", "no login of this browser is under way with that state: start at "
                       "/bff/login (a login lasts five minutes and completes once)")
    authorization_client.check_issuer(request.args.get("iss"))
    if "error" in request.args:
        raise ApiError(401, "login_failed", f"the authorization server answered {request.args['error'][:64]!r}")
    code = request.args.get("code")
    if not code:
        raise ApiError(400, "invalid_request", "the callback needs `code` (or the AS's `error`)")
    tokens = authorization_client.redeem(code, started["verifier"])
    now = clock.now()
    # The token came straight from the AS's token endpoint (authenticated, server to server): its `sub` is trusted
    # without a signature check here; the API verifies the token itself on every forwarded call.
    user = jwt.decode(tokens["access_token"], options={"verify_signature": False}).get("sub")
    record = {
        "user": user, "access_token": tokens["access_token"], "refresh_token": tokens.get("refresh_token"),
        "access_expires_at": now + int(tokens.get("expires_in", 0)),
        "expires_at": now + current_app.config["BFF_SESSION_TTL"], "mode": started["mode"],
    }
    session_id = session_store.create(record)
    response = redirect_to(current_app.config["BFF_FRONTEND_ORIGIN"] + "/")
    cookies.delete_cookie(response, LOGIN_COOKIE, _login_cookie_options())
    cookies.set_cookie(response, session_store.COOKIE, session_id, _session_cookie_options(), record["expires_at"])
    return response


@bp.get("/session")
def session():
    """curl -s -b bff_session=... localhost:8004/bff/session   # {"user", "expires_at"} or 401; never a token."""
    _, record = current_session()
    return jsonify(user=record["user"], expires_at=int(record["expires_at"])), 200, {"Cache-Control": "no-store"}


@bp.post("/logout")
@own_frontend_only
def logout():
    """curl -i -X POST -b bff_session=... -H 'X-CSRF: 1' -H 'Origin: http://localhost:8001' localhost:8004/bff/logout"""
    session_id = cookies.get(session_store.COOKIE)
    record = session_store.load(session_id) if session_id else None
    if record and record.get("refresh_token"):
        authorization_client.revoke(record["refresh_token"])  # a 503 keeps the session, so the logout can be retried
    if session_id:
        session_store.delete(session_id)
    response = current_app.response_class(status=204)
    cookies.delete_cookie(response, session_store.COOKIE, _session_cookie_options())
    return response
