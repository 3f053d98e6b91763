"""flask-jwt-extended, HS256 with JWT_SECRET and JWT_ACCESS_TTL, `@jwt_required()` plus a `user_lookup_loader`
(`current_user`); `with_blocklist` adds the documented Redis blocklist (`token_in_blocklist_loader`: one GET
of the `jti`), the usual way to make logout end an access token."""

import datetime

from flask import Flask, jsonify
from flask_jwt_extended import JWTManager, create_access_token, current_user, jwt_required

from . import common


def create_app(blocklist=False):
    app = Flask(__name__)
    app.config.update(
        JWT_SECRET_KEY=common.env("JWT_SECRET", "peer-jwt-secret-0123456789abcdef0123456789"),
        JWT_ACCESS_TOKEN_EXPIRES=datetime.timedelta(seconds=common.env("JWT_ACCESS_TTL", "300", int)),
    )
    jwt = JWTManager(app)

    @jwt.user_lookup_loader
    def user_lookup(header, payload):
        return common.get(payload["sub"])

    if blocklist:
        store = common.redis_client()

        @jwt.token_in_blocklist_loader
        def revoked(header, payload):
            return store.get(f"peer:jwt:deny:{payload['jti']}") is not None

    @app.post("/login")
    def login():
        return jsonify(access_token=create_access_token(identity=common.login_user_from_body().username))

    @app.get("/api/jwt/me")
    @jwt_required()
    def me():
        return jsonify(current_user.me("jwt"))

    return app


def with_blocklist():
    return create_app(blocklist=True)
