"""Using the session: allowlisted API calls forwarded with the access token (§6.1), or the access token itself for a
token-mediating page (§6.2). The refresh token never leaves; it is used here when the access token is due."""

import threading

import requests
from flask import Blueprint, current_app, jsonify, request

from kernel import clock
from kernel.http.errors import ApiError

from . import authorization_client, session_store
from .frontend_guard import own_frontend_only
from .session_views import current_session

bp = Blueprint("bff_tokens", __name__, url_prefix="/bff")

FORWARD_TIMEOUT = 5
_connections = threading.local()  # one keep-alive connection pool to the API per server thread


def _api():
    """This thread's HTTP session to the API: a new TCP connection per forwarded call would cost more than the call."""
    if not hasattr(_connections, "session"):
        _connections.session = requests.Session()  # it trusts REQUESTS_CA_BUNDLE (make run-https's local CA)
    return _connections.session


def fresh_access_token():
    """This session's access token, refreshed at the AS first when it runs out within BFF_REFRESH_MARGIN."""
    session_id, record = current_session()
    if record["access_expires_at"] - clock.now() > current_app.config["BFF_REFRESH_MARGIN"]:
        return record
    if not record.get("refresh_token"):
        raise ApiError(401, "unauthorized", "the session's access token ran out and it has no refresh token")
    if not session_store.refresh_lock(session_id):
        record = session_store.wait_for_refresh(session_id)  # another request of this session is refreshing
        if record is None:
            raise ApiError(401, "unauthorized", "the session ended while it was being refreshed")
        return record
    try:
        tokens = authorization_client.refresh(record["refresh_token"])
        record.update(access_token=tokens["access_token"], refresh_token=tokens.get("refresh_token"),
                      access_expires_at=clock.now() + int(tokens.get("expires_in", 0)))
        session_store.save(session_id, record)
    except ApiError as refused:
        if refused.status == 401:
            session_store.delete(session_id)  # the family is gone at the AS (revoked, reused, capped)
        raise
    finally:
        session_store.release_refresh_lock(session_id)
    return record


@bp.get("/api/<path:path>")
@own_frontend_only
def forward(path):
    """curl -s -b bff_session=... -H 'X-CSRF: 1' -H 'Origin: http://localhost:8001' localhost:8004/bff/api/jwt/me"""
    if path not in current_app.config["BFF_ALLOWED_PATHS"]:
        raise ApiError(404, "not_found", f"/bff/api/{path} is not forwarded (allowed: "
                       f"{', '.join(sorted(current_app.config['BFF_ALLOWED_PATHS']))})")
    record = fresh_access_token()
    try:
        answer = _api().get(f"{current_app.config['API_ORIGIN']}/api/{path}", params=request.args,
                              headers={"Authorization": f"Bearer {record['access_token']}"}, timeout=FORWARD_TIMEOUT)
        body = answer.json()
    except (requests.RequestException, ValueError) as exc:
        raise ApiError(502, "bad_gateway", f"the API did not answer in JSON: {type(exc).__name__}") from None
    headers = {"Cache-Control": "no-store"}
    if "Retry-After" in answer.headers:
        headers["Retry-After"] = answer.headers["Retry-After"]
    return jsonify(body), answer.status_code, headers


@bp.get("/token")
@own_frontend_only
def token():
    """curl -s -b bff_session=... -H 'X-CSRF: 1' -H 'Origin: http://localhost:8001' localhost:8004/bff/token"""
    _, record = current_session()
    if record.get("mode") != "token-mediating":
        raise ApiError(403, "not_token_mediating", "this session is a backend-for-frontend (RFC 10017 section 6.1): "
                       "its tokens never leave the server; log in with /bff/login?mode=token-mediating for 6.2")
    record = fresh_access_token()
    seconds = max(0, int(record["access_expires_at"] - clock.now()))
    return jsonify(access_token=record["access_token"], expires_in=seconds), 200, {"Cache-Control": "no-store"}
