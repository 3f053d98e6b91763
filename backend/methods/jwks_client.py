"""The JWKS client: the separate issuer's public keys, fetched the way any external identity provider's would be.

The keys come only from ISSUER_ORIGIN's `/.well-known/jwks.json` (PyJWKClient): cached for
JWKS_CACHE_SECONDS, refetched for an unknown `kid` at most once per JWKS_REFETCH_COOLDOWN.
`jku`, `x5u` and embedded `jwk` headers are never read (backend/methods/jwt_codec.py checks the
rest). An unreachable JWKS is the issuer's outage, not the client's fault: 503, never 401.
"""

import ssl

import jwt
from flask import current_app

from kernel.http.errors import RETRY_AFTER_SECONDS, ApiError

FETCH_TIMEOUT = 1.0


def init_app(app):
    """One cached JWKS client per app (each gunicorn worker keeps its own cache)."""
    ca_file = app.config["ISSUER_CA_FILE"]  # HTTPS mode: the local CA that signed the issuer's certificate
    app.extensions["authlab.jwks"] = jwt.PyJWKClient(
        app.config["ISSUER_ORIGIN"] + "/.well-known/jwks.json",
        lifespan=app.config["JWKS_CACHE_SECONDS"],
        cooldown_duration=app.config["JWKS_REFETCH_COOLDOWN"],
        timeout=FETCH_TIMEOUT,
        ssl_context=ssl.create_default_context(cafile=ca_file) if ca_file else None,
    )


def signing_key(kid):
    """The issuer's published key named `kid` (from a token's header); 503 if the JWKS cannot be fetched."""
    try:
        return current_app.extensions["authlab.jwks"].get_signing_key(kid)
    except (jwt.PyJWKClientConnectionError, jwt.PyJWKSetError, ValueError):  # unreachable, or not a JWKS
        raise ApiError(
            503, "issuer_unavailable", "the token issuer's keys (JWKS) cannot be fetched; try again shortly",
            {"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from None

