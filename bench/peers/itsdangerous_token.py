"""itsdangerous in `before_request`: a `URLSafeTimedSerializer` over SECRET_KEY checks the Bearer token's
signature and age (TOKEN_TTL) and puts the user on `g`, the pattern Flask's own docs build on."""

from flask import Flask, abort, g, jsonify, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from . import common


def create_app():
    app = Flask(__name__)
    signer = URLSafeTimedSerializer(common.env("SECRET_KEY", "peer-secret"), salt="peer.signed-token")
    max_age = common.env("TOKEN_TTL", "3600", int)

    @app.before_request
    def load_user():
        g.user = None
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            try:
                g.user = common.get(signer.loads(token, max_age=max_age)["sub"])
            except BadSignature:  # also SignatureExpired
                pass

    @app.post("/login")
    def login():
        return jsonify(access_token=signer.dumps({"sub": common.login_user_from_body().username}))

    @app.get("/api/signed/me")
    def me():
        if g.user is None:
            abort(401)
        return jsonify(g.user.me("signed"))

    return app
