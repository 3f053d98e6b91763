"""Flask-Session (Redis) with Flask-Login: a server-side session whose ID is the cookie, `login_required` and a
`user_loader`. `create_app`: both with their defaults, i.e. a permanent session re-saved on every request
(SESSION_REFRESH_EACH_REQUEST) and Flask-Login's "basic" session protection (a hash of address and agent).
`create_app_without_write_back`: the same with SESSION_REFRESH_EACH_REQUEST off, the best usual way (a `me`
reads the session and writes nothing back)."""

from flask import Flask, jsonify
from flask_login import LoginManager, current_user, login_required, login_user
from flask_session import Session

from . import common


def create_app(write_back=True):
    app = Flask(__name__)
    app.config.update(SECRET_KEY=common.env("SECRET_KEY", "peer-secret"), SESSION_TYPE="redis",
                      SESSION_REDIS=common.redis_client(), SESSION_KEY_PREFIX="peer:session:",
                      PERMANENT_SESSION_LIFETIME=common.env("SESSION_IDLE_TIMEOUT", "1800", int),
                      SESSION_REFRESH_EACH_REQUEST=write_back)
    Session(app)
    login_manager = LoginManager(app)
    login_manager.user_loader(common.get)

    @app.post("/login")
    def login():
        login_user(common.login_user_from_body())
        return jsonify(ok=True)

    @app.get("/api/session/me")
    @login_required
    def me():
        return jsonify(current_user.me("session"))

    return app


def create_app_without_write_back():
    return create_app(write_back=False)
