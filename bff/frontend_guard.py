"""Who may call this BFF from a browser: its own frontend alone (CORS with credentials), with `X-CSRF: 1` and its
exact Origin on every call that uses the session (RFC 10017 §6.1.3.2).

The trap: BFF-B (127.0.0.1:8005) is same-site with the authorization server (127.0.0.1:8003), so the SameSite=Strict
cookie alone would let the AS's pages use B's session; the header (which needs a CORS preflight this BFF refuses to
anyone else) and the exact Origin keep them, and every other origin, out.
"""

import functools

from flask import current_app, request
from flask_cors import CORS

from backend.web.errors import ApiError


def init_app(app):
    """CORS for the frontend of this site only, with credentials; every answer varies by Origin."""
    CORS(
        app, resources={r"/bff/*": {"origins": [app.config["BFF_FRONTEND_ORIGIN"]]}}, supports_credentials=True,
        allow_headers=["X-CSRF", "Content-Type"], expose_headers=["WWW-Authenticate", "Retry-After"],
        methods=["GET", "POST"], always_send=False, vary_header=True, max_age=600,
    )

    @app.after_request
    def vary_origin(response):
        """Cacheable or not, the CORS headers differ by Origin."""
        response.vary.add("Origin")
        return response


def check():
    """403 unless the request says `X-CSRF: 1` and comes from this BFF's own frontend, exactly."""
    if request.headers.get("X-CSRF") != "1":
        raise ApiError(403, "csrf_failed", "missing `X-CSRF: 1` header (a plain form or link cannot send it)")
    origin, own = request.headers.get("Origin"), current_app.config["BFF_FRONTEND_ORIGIN"]
    if origin != own:
        raise ApiError(403, "origin_not_allowed", f"only {own} may use this BFF, not {origin!r}")


def own_frontend_only(view):
    """The view runs only for its own frontend's calls (check), so a foreign page never reaches the session."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        check()
        return view(*args, **kwargs)

    return guarded
