"""CORS for the two frontends: credentials allowed, the headers the pages need to read, and Vary: Origin."""

from flask_cors import CORS

cors = CORS()


def init_app(app):
    """Allow the two frontend origins on /api/*, with credentials; every answer varies by Origin."""
    cors.init_app(
        app,
        resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}},
        supports_credentials=True,
        always_send=False,  # no Origin, no CORS headers (flask-cors would otherwise list every origin)
        allow_headers=["Authorization", "Content-Type", "X-CSRF-Token"],
        expose_headers=["WWW-Authenticate", "Retry-After", "Server-Timing"],  # why a request failed, what it cost
        vary_header=False,  # added below on every response, not only on matching ones
        max_age=600,
    )
    app.after_request(_vary_origin)


def _vary_origin(response):
    """Every answer may differ by Origin (CORS headers), so caches must key on it."""
    response.vary.add("Origin")
    return response
