"""Server-side sessions: the session object lives in Redis, the browser holds only its ID.

    curl -i -c jar -H 'Content-Type: application/json' \\
         -d '{"username": "alice", "password": "wonderland"}' localhost:8000/api/session/login
    curl -i -b jar localhost:8000/api/session/me
"""

import secrets

from flask import Blueprint, current_app, g, jsonify, session
from flask_login import LoginManager, current_user, login_required, login_user, logout_user

from kernel import clock, users
from kernel.http import cookies, csrf
from kernel.http.errors import error_response
from kernel.http.request_bodies import demo_ttl

from . import Method
from .credentials import login_body
from .kinds import PasswordSource, Storage, Verification

bp = Blueprint("session", __name__, url_prefix="/api/session")


class SessionLoginManager(LoginManager):
    """Flask-Login without its session protection. Its default ("basic") hashes the client's address and
    User-Agent (SHA-512) on every session request and, on a mismatch, only marks the session not fresh (one more
    Redis write) — authlab never asks for freshness, and an agent string is no secret. Sessions are bound
    instead by a random 256-bit ID in an HttpOnly cookie, a new ID at every login, idle and absolute
    lifetimes, and server-side deletion at logout and logout-all (kernel/stores/sessions.py)."""

    def _session_protection_failed(self):
        return False  # Flask-Login 0.6 hashes the agent before it reads the mode; with no protection, skip both


login_manager = SessionLoginManager()
login_manager.session_protection = None


def init_app(app):
    """Attach Flask-Login without its remember-me hook (authlab never issues that cookie, and the hook reads the
    session after every request, even one whose session could not be opened) and without session protection."""
    login_manager.init_app(app)
    # Its "session protection" marks a session not fresh when the User-Agent or X-Forwarded-For changes: a write
    # (SET + Set-Cookie) on such a `me`, for a freshness nothing here reads. Sessions are bound by their random ID.
    login_manager.session_protection = None
    app.after_request_funcs[None].remove(login_manager._update_remember_cookie)


@login_manager.user_loader
def load_user(username):
    return users.get(username)


@login_manager.unauthorized_handler
def unauthorized():
    if g.get("duplicate_cookie"):  # two session cookies came: the session interface trusted neither
        return g.duplicate_cookie.response()
    return error_response(401, "unauthorized", "no valid session: log in first (or it expired or was logged out)")


@bp.post("/login")
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
