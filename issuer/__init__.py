"""The token issuer: a separate small app standing in for a third-party identity provider (Auth0 and the like).

It signs RS256 (or EdDSA) access tokens for the demo users and publishes its public keys as a
JWKS; the API holds none of its secrets and verifies its tokens from that JWKS alone.

    make run                                      # starts it on ISSUER_ORIGIN (127.0.0.1:8003)
    curl -s -H 'Content-Type: application/json' \\
         -d '{"username": "alice", "password": "wonderland"}' 127.0.0.1:8003/token
    curl -s 127.0.0.1:8003/.well-known/jwks.json
    curl -s -X POST 127.0.0.1:8003/rotate        # loopback only
"""

import ipaddress
import secrets

from flask import Blueprint, Flask, current_app, jsonify, request
from flask_cors import CORS

from backend import audit, clock, limits
from backend import config as settings
from backend.web import errors
from backend.web.errors import ApiError
from backend.web.request_bodies import checked_user, json_body, text_field

from .keys import KeyRing

bp = Blueprint("issuer", __name__)


def create_app(config=None):
    """Settings from the environment (the API's table), then overrides, then CORS for the two frontends."""
    app = Flask(__name__)
    app.config.from_mapping(settings.from_env(), MAX_CONTENT_LENGTH=64 * 1024)
    app.config.update(config or {})
    errors.init_app(app)
    origins = [app.config["FRONTEND_A_ORIGIN"], app.config["FRONTEND_B_ORIGIN"]]
    CORS(app, origins=origins, allow_headers=["Content-Type"], max_age=600, always_send=False)  # as the API
    app.extensions["issuer.keys"] = KeyRing(app.config["ISSUER_ALGORITHM"], app.config["ISSUER_KEY_OVERLAP"])
    app.register_blueprint(bp)
    limits.init_app(app, logins=["issuer.token"], basics=[], storage_uri="memory://")  # one process: exact counts
    audit.init_app(app, blueprints={"issuer"})
    return app


def keys():
    return current_app.extensions["issuer.keys"]


@bp.get("/")
def about():
    """Where everything is, like a (much) smaller OpenID discovery document."""
    origin = current_app.config["ISSUER_ORIGIN"]
    return jsonify(issuer=origin, token_endpoint=f"{origin}/token", jwks_uri=f"{origin}/.well-known/jwks.json")


@bp.post("/token")
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
    return jsonify(access_token=keys().sign(claims), token_type="Bearer", expires_in=seconds)


@bp.get("/.well-known/jwks.json")
def jwks():
    """The public keys, cacheable for a few minutes like any provider's."""
    return jsonify(keys().jwks()), 200, {"Cache-Control": "public, max-age=300"}


@bp.post("/rotate")
def rotate():
    """Start signing with the pre-published next key (loopback callers only); the old key stays published."""
    if not ipaddress.ip_address(request.remote_addr or "0.0.0.0").is_loopback:
        raise ApiError(403, "forbidden", "key rotation is only allowed from loopback")
    kid = keys().rotate()
    return jsonify(kid=kid, published=[key.kid for key in keys().published()])
