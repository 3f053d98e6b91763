"""The authorization server's login page: a plain HTML form that opens the AS session `/authorize` answers from,
and, once signed in, a button that ends it.

    open http://127.0.0.1:8003/login      # alice / wonderland; `/authorize` sends you here when it knows no one

The session is Flask's signed cookie (`as_session`; `__Host-as_session`, Secure, over HTTPS): HttpOnly, SameSite=Lax,
holding the user and when they logged in (older than SESSION_ABSOLUTE_TIMEOUT: logged out). The form carries a
CSRF token bound to that cookie and any Origin must be the AS's own (login CSRF); passwords are rate limited like
every login (issuer/rate_limits.py). The page runs no script and loads nothing; its CSP says so.
"""

import hmac
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, request, session
from markupsafe import escape

from kernel import clock, users
from kernel.audit import audited
from kernel.http.errors import ApiError
from kernel.http.request_bodies import MAX_CREDENTIAL_LENGTH

from .rate_limits import rate_limited

bp = audited(Blueprint("as_login", __name__))

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>authlab authorization server: log in</title></head>
<body><main>
<h1>Log in to the authorization server</h1>
<p>{note}</p>
<form method="post" action="/login">
<input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="next" value="{next}">
<p><label>Username <input name="username" autocomplete="username" required></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
<p><button>Log in</button></p>
</form>
{logout}{hint}</main></body></html>
"""
LOGOUT = """<form method="post" action="/logout">
<input type="hidden" name="csrf" value="{csrf}">
<p><button>Log out of the authorization server</button> (apps keep the tokens they have until their own logout)</p>
</form>
"""
HINT = "<p>Demo users: alice / wonderland, bob / builder, zoë / pässwörd, admin / admin-pass.</p>\n"


def init_app(app):
    """The AS session's cookie attributes (no Domain: this host only) and the login page."""
    https = urlsplit(app.config["ISSUER_ORIGIN"]).scheme == "https"
    app.config.update(SESSION_COOKIE_NAME="__Host-as_session" if https else "as_session", SESSION_COOKIE_SECURE=https,
                      SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    app.register_blueprint(bp)


def current_user():
    """The user of this browser's AS session, or None (none, or past SESSION_ABSOLUTE_TIMEOUT)."""
    since = session.get("auth_time")
    if not isinstance(since, (int, float)) or clock.now() - since > current_app.config["SESSION_ABSOLUTE_TIMEOUT"]:
        return None
    return users.get(session.get("user"))


def _next(value):
    """Where to go after the login: back to `/authorize` on this server, nowhere else (no open redirect)."""
    return value if isinstance(value, str) and value.startswith("/authorize?") else "/"


def _page(note, status=200):
    session.setdefault("csrf", secrets.token_urlsafe(24))
    origins = " ".join(sorted({urlsplit(c.redirect_uri)._replace(path="").geturl()
                               for c in current_app.extensions["issuer.clients"].values()}))
    # form-action: the browser checks the redirects after the POST too (to /authorize, then to the client)
    policy = ("default-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
              f"form-action 'self' {origins}")
    hint = HINT if current_app.config["DEMO_COOKIE_OPTIONS"] else ""  # the demo's passwords, with the demo options
    csrf = escape(session["csrf"])
    html = PAGE.format(note=escape(note), csrf=csrf, next=escape(_next(request.values.get("next"))), hint=hint,
                       logout=LOGOUT.format(csrf=csrf) if current_user() else "")
    return html, status, {"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": policy,
                          "Cache-Control": "no-store", "X-Frame-Options": "DENY"}


@bp.get("/login")
def form():
    """curl -s -c jar 127.0.0.1:8003/login   (in a browser: the form; the cookie jar keeps the form's CSRF binding)"""
    return _page("Signed in as " + current_user().username if current_user() else "Not signed in.")


@bp.post("/login")
@rate_limited.login
def submit():
    """curl -c jar -b jar 127.0.0.1:8003/login -d username=alice -d password=wonderland -d csrf=<from the form>"""
    _from_the_page("logins")
    username, password = request.form.get("username", ""), request.form.get("password", "")
    if not username or not password or max(len(username), len(password)) > MAX_CREDENTIAL_LENGTH:
        raise ApiError(400, "invalid_request", "`username` and `password` must be non-empty form fields")
    user = users.verify(username, password)
    if user is None:
        return _page("Wrong username or password.", 401)
    session.clear()  # a fresh session at every login (no fixation)
    session.update(user=user.username, auth_time=clock.now(), csrf=secrets.token_urlsafe(24))
    return redirect(_next(request.form.get("next")), 303)


@bp.post("/logout")
def logout():
    """curl -c jar -b jar 127.0.0.1:8003/logout -d csrf=<from the page>   (ends the AS session: the next `/authorize`
    asks for the password again; tokens already issued live on until their app logs out or they expire)"""
    _from_the_page("logouts")
    user = current_user()
    if user is not None:
        users.acted_for(user.username)  # the audit log's `logout`, and whose
    session.clear()
    session["csrf"] = secrets.token_urlsafe(24)
    return redirect("/login", 303)


def _from_the_page(what):
    """A POST from the AS's own page only: its CSRF token, and no other Origin (a forged login or logout)."""
    origin = request.headers.get("Origin")
    if origin is not None and origin != current_app.config["ISSUER_ORIGIN"]:
        raise ApiError(403, "origin_not_allowed", f"{what} from origin {origin!r} are not accepted here")
    sent, expected = request.form.get("csrf", ""), session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise ApiError(403, "csrf_failed", "the page's CSRF token is missing or wrong: reload the page")
