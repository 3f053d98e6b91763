"""CSRF defence for cookie-authenticated state changes: an allowed (or absent) Origin plus a token header."""

import hashlib
import hmac

from flask import current_app, request

from .errors import ApiError


def check_origin():
    """403 unless Origin is absent (curl, same-origin GET) or one of the frontends or the API itself."""
    origin = request.headers.get("Origin")
    allowed = current_app.config["CORS_ORIGINS"] + [current_app.config["API_ORIGIN"]]
    if origin is not None and origin not in allowed:
        raise ApiError(403, "origin_not_allowed", f"requests from origin {origin!r} may not change state here")


def check(expected):
    """403 unless the Origin is allowed and `X-CSRF-Token` equals the token issued at login."""
    check_origin()
    sent = request.headers.get("X-CSRF-Token", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise ApiError(403, "csrf_failed", "missing or wrong X-CSRF-Token header (it was returned at login)")


def token_for(value):
    """A stateless CSRF token for a cookie-borne credential: an HMAC of it under SECRET_KEY."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"authlab.csrf:" + value.encode(), hashlib.sha256).hexdigest()
