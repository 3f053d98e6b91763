"""The backend-for-frontend (RFC 10017 §6.1), one process per frontend site: tokens stay here, the page gets a cookie.

A confidential client of the authorization server (authlab-bff-a / authlab-bff-b): it runs code + PKCE, keeps the
tokens in Redis under an HttpOnly, SameSite=Strict cookie, and forwards an allowlisted set of API calls with the
access token. `GET /bff/token` is the token-mediating mode (§6.2): the access token, never the refresh token.

    make run                                 # starts both: A's on localhost:8004 (BFF_SITE=a), B's on 127.0.0.1:8005
    curl -i localhost:8004/bff/login         # 302 to the authorization server
    curl -s -b 'bff_session=...' -H 'X-CSRF: 1' -H 'Origin: http://localhost:8001' localhost:8004/bff/api/jwt/me

docs/browser-apps.md says more. It never imports the API: only the shared pieces.
"""

import logging
from urllib.parse import urlsplit

from kernel import settings
from kernel.http import errors, https
from kernel.http.application import Application
from kernel.stores import redis_client

SITES = {"a": "FRONTEND_A_ORIGIN", "b": "FRONTEND_B_ORIGIN"}


def site_settings(config):
    """What this process is, from BFF_SITE: its own origin, its frontend's, its client id and secret at the AS."""
    site = config["BFF_SITE"]
    if site not in SITES:
        raise RuntimeError(f"BFF_SITE must be a or b, not {site!r}")
    origin = config[f"BFF_{site.upper()}_ORIGIN"]
    secret = config[f"BFF_{site.upper()}_CLIENT_SECRET"]
    if not secret:
        raise RuntimeError(f"refusing to start: BFF_{site.upper()}_CLIENT_SECRET is unset (the client's secret at "
                           "the authorization server; `make run` generates one and keeps it under var/)")
    return {
        "BFF_ORIGIN": origin, "BFF_FRONTEND_ORIGIN": config[SITES[site]],
        "BFF_CLIENT_ID": f"authlab-bff-{site}", "BFF_CLIENT_SECRET": secret,
        "BFF_REDIRECT_URI": f"{origin}/bff/callback",
        "BFF_ALLOWED_PATHS": frozenset(p.strip().strip("/") for p in config["BFF_API_PATHS"].split(",") if p.strip()),
        "HTTPS": urlsplit(origin).scheme == "https",  # the cookie is Secure and `__Host-` prefixed (cookies.name)
    }


def create_app(config=None):
    """Settings from the environment, then `config` overrides (tests), then the shared pieces and the BFF's own."""
    from . import frontend_guard, session_views, token_views

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = Application(__name__)
    app.config.from_mapping(settings.from_env(), MAX_CONTENT_LENGTH=16 * 1024)
    app.config.update(config or {})
    app.config.update(site_settings(app.config))
    errors.init_app(app)
    https.init_app(app, origin="BFF_ORIGIN")
    redis_client.init_app(app)
    frontend_guard.init_app(app)
    app.register_blueprint(session_views.bp)
    app.register_blueprint(token_views.bp)
    return app
