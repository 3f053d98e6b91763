"""The token issuer: a separate small app standing in for a third-party identity provider (Auth0 and the like).

It signs RS256 (or EdDSA) access tokens for the demo users and publishes its public keys as a
JWKS; the API holds none of its secrets and verifies its tokens from that JWKS alone.

    make run                                      # starts it on ISSUER_ORIGIN (127.0.0.1:8003)
    curl -s -H 'Content-Type: application/json' \\
         -d '{"username": "alice", "password": "wonderland"}' 127.0.0.1:8003/token
    curl -s 127.0.0.1:8003/.well-known/jwks.json
    curl -s -X POST -H 'Content-Type: application/json' -d '{}' \\
         -H "Authorization: Bearer $ISSUER_ROTATE_SECRET" 127.0.0.1:8003/rotate   # loopback, with the secret
"""

import hmac
import ipaddress
import secrets

from flask import Blueprint, Flask, current_app, jsonify, request
from flask_cors import CORS

from backend import clock
from backend import config as settings
from backend.stores import redis_client
from backend.web import errors, https, request_bodies
from backend.web.errors import ApiError
from backend.web.request_bodies import checked_user, json_body, text_field
from kernel.audit import audited
from kernel.password_limits import PasswordLimits

from .keys import MAX_PUBLISHED, KeyRing, KeyRingFull

bp = audited(Blueprint("issuer", __name__))
rate_limited = PasswordLimits()  # the API's windows and keys: a lock is a lock at both


def create_app(config=None):
    """Settings from the environment (the API's table), then overrides, then CORS for the two frontends."""
    app = Flask(__name__)
    app.config.from_mapping(settings.from_env(), MAX_CONTENT_LENGTH=64 * 1024)
    app.config.update(config or {})
    settings.refuse_public_secrets(app.config, names={"SECRET_KEY"})  # it keys the shared rate-limit counters
    errors.init_app(app)
    request_bodies.init_app(app)
    https.init_app(app, origin="ISSUER_ORIGIN")  # HSTS, nosniff; the client's address behind the proxy
    origins = [app.config["FRONTEND_A_ORIGIN"], app.config["FRONTEND_B_ORIGIN"]]
    CORS(app, origins=origins, allow_headers=["Content-Type"], max_age=600, always_send=False)  # as the API
    app.extensions["issuer.keys"] = KeyRing(app.config["ISSUER_ALGORITHM"], app.config["ISSUER_KEY_OVERLAP"])
    app.register_blueprint(bp)
    redis_client.init_app(app)  # the API's Redis, for the rate-limit counters alone (memory while it is out)
    rate_limited.init_app(app)  # memory while Redis is out: a token needs no store
    return app


def keys():
    return current_app.extensions["issuer.keys"]


@bp.get("/")
def about():
    """Where everything is, like a (much) smaller OpenID discovery document."""
    origin = current_app.config["ISSUER_ORIGIN"]
    return jsonify(issuer=origin, token_endpoint=f"{origin}/token", jwks_uri=f"{origin}/.well-known/jwks.json")


@bp.post("/token")
@rate_limited.login
def token():
    """An access token for a demo user, for the API's audience unless another `audience` is asked for."""
    body = json_body()
    user = checked_user(body)
    config = current_app.config
    now, seconds = clock.issued_at(), config["JWT_ACCESS_TTL"]
    claims = {
        "iss": config["ISSUER_ORIGIN"], "aud": text_field(body, "audience", default=config["JWT_AUDIENCE"]),
        "sub": user.username, "iat": now, "exp": int(now) + seconds, "jti": secrets.token_urlsafe(16),
    }
    token = keys().sign(claims)
    return jsonify(access_token=token, token_type="Bearer", expires_in=seconds), 200, {"Cache-Control": "no-store"}


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
