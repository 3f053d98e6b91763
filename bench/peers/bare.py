"""Bare Flask: the same `/api/public` body as authlab's, with no extension at all (the floor for `public`)."""

from flask import Flask, jsonify


def create_app():
    app = Flask(__name__)

    @app.get("/api/public")
    def public():
        return jsonify(message="public: anyone can read this", authenticated=False)

    return app
