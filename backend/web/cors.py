"""CORS for the two frontends: credentials allowed, the headers the pages need to read, and Vary: Origin.

A request without an `Origin` header pays for neither: flask-cors would add nothing to its answer (always_send
is off) after matching its path and looking for the header, so its hook runs only when the header is there.
"""

import functools

from flask import request
from flask_cors import CORS

cors = CORS()


def init_app(app):
    """Allow the two frontend origins on /api/*, with credentials; every answer varies by Origin."""
    cors.init_app(
        app,
        resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}},
        supports_credentials=True,
        always_send=False,  # no Origin, no CORS headers (flask-cors would otherwise list every origin)
        # X-Viewer-Key: /api/inspect; DPoP: the proof a DPoP-bound token comes with (RFC 9449)
        allow_headers=["Authorization", "Content-Type", "X-CSRF-Token", "X-Viewer-Key", "DPoP"],
        expose_headers=["WWW-Authenticate", "Retry-After", "Server-Timing"],  # why a request failed, what it cost
        vary_header=False,  # added below on every response, not only on matching ones
        max_age=600,
    )
    hooks = app.after_request_funcs[None]
    hooks[:] = [_only_with_origin(h) if getattr(h, "__name__", "") == "cors_after_request" else h for h in hooks]
    app.after_request(_vary_origin)


def _only_with_origin(hook):
    """flask-cors's after-request hook, run only for requests that bring an Origin (the others it leaves alone)."""

    @functools.wraps(hook)
    def wrapper(response):
        return hook(response) if "HTTP_ORIGIN" in request.environ else response

    return wrapper


def _vary_origin(response):
    """Every answer may differ by Origin (CORS headers), so caches must key on it. Appended as a header line of
    its own (Vary is a list: several lines mean their union, RFC 9110 §5.3): werkzeug's parsed `response.vary`
    and even a `"Vary" in headers` test cost several µs per request, the append half of one. Nothing sets
    Vary before this hook; the session interface, after it, merges `Cookie` into this line."""
    response.headers.add("Vary", "Origin")
    return response
