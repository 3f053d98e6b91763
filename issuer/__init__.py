"""The issuer: an OAuth 2.0 authorization server standing in for a third-party identity provider (Auth0 and the like).

It runs the authorization code grant with PKCE for the contract's clients, rotates refresh tokens, signs RS256 (or
EdDSA) JWT access tokens (RFC 9068) and publishes its public keys as a JWKS; the API holds none of its secrets and
verifies its tokens from that JWKS alone (docs/authorization-server.md).

    make run                                      # starts it on ISSUER_ORIGIN (127.0.0.1:8003)
    curl -s 127.0.0.1:8003/.well-known/oauth-authorization-server
    curl -s 127.0.0.1:8003/.well-known/jwks.json
    curl -s -X POST -H 'Content-Type: application/json' -d '{}' \\
         -H "Authorization: Bearer $ISSUER_ROTATE_SECRET" 127.0.0.1:8003/rotate   # loopback, with the secret
"""

import hmac
import ipaddress

from flask import Blueprint, current_app, jsonify, request
from flask_cors import CORS

from kernel import settings, users
from kernel.audit import audited
from kernel.http import errors, https
from kernel.http.application import Application
from kernel.http.errors import ApiError
from kernel.http.request_bodies import json_body
from kernel.stores import redis_client

from . import authorization_server, login, password_grant
from .keys import MAX_PUBLISHED, KeyRing, KeyRingFull
from .rate_limits import rate_limited

bp = audited(Blueprint("issuer", __name__))


def create_app(config=None):
    """Settings from the environment (the API's table), then overrides, CORS for the two frontends, the AS."""
    app = Application(__name__)
    app.config.from_mapping(settings.from_env(), MAX_CONTENT_LENGTH=64 * 1024)
    app.config.update(config or {})
    settings.refuse_public_secrets(app.config, names={"SECRET_KEY"})  # it keys the shared rate-limit counters
    errors.init_app(app)
    users.init_app(app)  # its login page checks passwords
    https.init_app(app, origin="ISSUER_ORIGIN")  # HSTS, nosniff; the client's address behind the proxy
    origins = [app.config["FRONTEND_A_ORIGIN"], app.config["FRONTEND_B_ORIGIN"]]
    # as the API; DPoP: the browser client's proof header at /token (RFC 9449)
    CORS(app, origins=origins, allow_headers=["Content-Type", "DPoP"], max_age=600, always_send=False)
    keys = app.extensions["issuer.keys"] = KeyRing(app.config["ISSUER_ALGORITHM"], app.config["ISSUER_KEY_OVERLAP"])
    app.register_blueprint(bp)
    authorization_server.init_app(app, keys)
    login.init_app(app)
    if app.config["DEMO_COOKIE_OPTIONS"]:  # the exhibit of RFC 10017 section 7.3, demo-only
        app.register_blueprint(password_grant.bp)
    redis_client.init_app(app)  # the API's Redis: the AS's codes and refresh tokens, the shared rate-limit counters
    rate_limited.init_app(app)  # the login page and the exhibit: memory while Redis is out
    return app


def keys():
    return current_app.extensions["issuer.keys"]


@bp.get("/")
def about():
    """curl -s 127.0.0.1:8003/   (where everything is: the RFC 8414 metadata, as at /.well-known/...)"""
    return jsonify(authorization_server.metadata())


@bp.post("/token")
def token():
    """curl -s 127.0.0.1:8003/token -d grant_type=authorization_code -d client_id=authlab-a -d code=... (a form: the
    OAuth token endpoint); a JSON body is the password grant's exhibit, while the demo options are on."""
    exhibit = current_app.view_functions.get("password_grant.token")  # rate limited like every login
    if exhibit is not None and request.mimetype == "application/json":
        return exhibit()
    return authorization_server.token_endpoint()


@bp.get("/.well-known/jwks.json")
def jwks():
    """The public keys, cacheable for a few minutes like any provider's."""
    return jsonify(keys().jwks()), 200, {"Cache-Control": "public, max-age=300"}


def _check_rotation_request():
    """Only a local admin tool may rotate: loopback, no browser page (JSON only, no foreign Origin), the secret."""
    config = current_app.config
    if not ipaddress.ip_address(request.remote_addr or "0.0.0.0").is_loopback:
        raise ApiError(403, "forbidden", "key rotation is only allowed from loopback")
    origin = request.headers.get("Origin")
    if origin is not None and origin != config["ISSUER_ORIGIN"]:
        raise ApiError(403, "forbidden", "key rotation is not allowed from a web page")
    if request.mimetype != "application/json":  # a form cannot send it without a CORS preflight, which fails here
        raise ApiError(415, "unsupported_media_type", "key rotation takes a JSON body (`{}`)")
    json_body()
    secret = config["ISSUER_ROTATE_SECRET"]
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if not secret or scheme.lower() != "bearer" or not hmac.compare_digest(presented.encode(), secret.encode()):
        raise ApiError(401, "unauthorized", "key rotation needs `Authorization: Bearer <ISSUER_ROTATE_SECRET>`"
                       + ("" if secret else " (unset here: rotation is off)"), {"WWW-Authenticate": "Bearer"})


@bp.post("/rotate")
def rotate():
    """Start signing with the pre-published next key; the old key stays published for the overlap."""
    _check_rotation_request()
    try:
        kid = keys().rotate()
    except KeyRingFull as full:
        raise ApiError(429, "rate_limited", f"{MAX_PUBLISHED} keys are published already; try again in {full} s",
                       {"Retry-After": str(full)}) from None
    return jsonify(kid=kid, published=[key.kid for key in keys().published()])
