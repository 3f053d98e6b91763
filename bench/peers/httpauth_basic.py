"""Flask-HTTPAuth's `HTTPBasicAuth` with a `verify_password` callback checking werkzeug's scrypt hash:
the library's documented example, one password hash per request (the peer for Basic)."""

from flask import Flask, jsonify
from flask_httpauth import HTTPBasicAuth

from . import common


def create_app():
    app = Flask(__name__)
    auth = HTTPBasicAuth()

    @auth.verify_password
    def verify_password(username, password):
        return common.check(username, password)

    @app.get("/api/basic/me")
    @auth.login_required
    def me():
        return jsonify(auth.current_user().me("basic"))

    return app
