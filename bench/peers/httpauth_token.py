"""Flask-HTTPAuth's `HTTPTokenAuth("Bearer")` with a `verify_token` callback that looks the token up in
Redis (one GET of the token's SHA-256, as authlab stores it): the usual opaque bearer token."""

import hashlib
import json
import secrets

from flask import Flask, jsonify
from flask_httpauth import HTTPTokenAuth

from . import common


def _key(token):
    return "peer:token:" + hashlib.sha256(token.encode()).hexdigest()


def create_app():
    app = Flask(__name__)
    auth = HTTPTokenAuth(scheme="Bearer")
    store, ttl = common.redis_client(), common.env("TOKEN_TTL", "3600", int)

    @auth.verify_token
    def verify_token(token):
        raw = store.get(_key(token))
        return common.get(json.loads(raw)["user"]) if raw else None

    @app.post("/login")
    def login():
        user, token = common.login_user_from_body(), secrets.token_urlsafe(32)
        store.set(_key(token), json.dumps({"user": user.username}), ex=ttl)
        return jsonify(access_token=token)

    @app.get("/api/token/me")
    @auth.login_required
    def me():
        return jsonify(auth.current_user().me("token"))

    return app
