"""Server-side sessions: the session object lives in Redis, the browser holds only its ID.

    curl -i -c jar -H 'Content-Type: application/json' \\
         -d '{"username": "alice", "password": "wonderland"}' localhost:8000/api/session/login
    curl -i -b jar localhost:8000/api/session/me
"""

import secrets

from flask import Blueprint, current_app, g, jsonify, session
from flask_login import current_user, login_required, login_user, logout_user

from kernel import clock, users
from kernel.audit import audited
from kernel.http import cookies, csrf
from kernel.http.errors import error_response
from kernel.http.request_bodies import demo_ttl
from kernel.patches import LoginManagerWithoutProtection

from . import Method
from .credentials import login_body
from .kinds import PasswordSource, Storage, Verification
from .rate_limits import rate_limited

bp = audited(Blueprint("session", __name__, url_prefix="/api/session"))


login_manager = LoginManagerWithoutProtection()  # Flask-Login, patched: kernel/patches.py says why


def init_app(app):
    """Attach Flask-Login (without session protection and its remember-cookie hook: kernel/patches.py)."""
    login_manager.init_app(app)


@login_manager.user_loader
def load_user(username):
    """The session's user; loaded means accepted (the audit log's `ok`)."""
    user = users.get(username)
    if user is not None:
        users.acted_for(user.username)
    return user


@login_manager.unauthorized_handler
def unauthorized():
    if g.get("duplicate_cookie"):  # two session cookies came: the session interface trusted neither
        return g.duplicate_cookie.response()
    return error_response(401, "unauthorized", "no valid session: log in first (or it expired or was logged out)")


@bp.post("/login")
@rate_limited.login
def login():
    """Verify once, then keep the user in a new server-side session whose ID goes in a cookie. A demo `ttl` ends it
    that many seconds after login, active or not (never later than its idle timeout would)."""
    body, user = login_body()
    opts = cookies.options(body)
    config = current_app.config
    ttl = demo_ttl(body)
    current_app.session_interface.regenerate(session)  # never adopt an ID the client brought
    session.clear()
    login_user(user)
    session.update(_created=int(clock.now()), _csrf=secrets.token_urlsafe(32), _cookie=opts)
    extra = {}
    if ttl is not None:
        session["_lifetime"] = extra["expires_in"] = min(
            ttl, config["SESSION_IDLE_TIMEOUT"], config["SESSION_ABSOLUTE_TIMEOUT"])
    record = current_app.session_interface.record_key(session)
    if record:  # written and indexed when the response is saved (stores/sessions.py); named now for the viewer key
        users.kept(record)
    return jsonify(user.me("session", csrf_token=session["_csrf"], cookie=opts, **extra))


@bp.get("/me")
@login_required
def me():
    """Who the session cookie belongs to, looked up in Redis on this request."""
    return jsonify(current_user.me("session", csrf_token=session["_csrf"]))


@bp.post("/logout")
@login_required
def logout():
    """Destroy the session on both sides: the Redis record is deleted and the cookie expired."""
    csrf.check(session.get("_csrf"))
    logout_user()
    session.clear()
    return "", 204


METHOD = Method(
    "session", "Session",
    "The API keeps the session in Redis and gives the browser only its ID, in an HttpOnly cookie.",
    bp, storages=(Storage.COOKIE,), passwords={"session.login": PasswordSource.JSON}, kind=Verification.REDIS,
    cookies={"session_id": "/"}, opens_session=True, ends_at_logout_all=True, logout_all="every session of the user",
)
