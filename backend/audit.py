"""The audit log: every login, logout and failure, with user, method, outcome and origin, and never a secret.

One line per event on the `authlab.audit` logger, for example

    login method=session outcome=ok status=200 user='alice' origin='http://localhost:8001' client='127.0.0.1'

Only names of real users are written: an attempted name that is no user is logged as '<unknown>', because
people type their password into the username field. Of a request, only the username it names is read (from the
JSON body or the Basic header); passwords, tokens, cookies and session IDs never reach this module.
"""

import logging

from flask import current_app, g, request
from flask_login import user_logged_in, user_logged_out

from kernel import users

from .limits import attempted_username
from .methods import REGISTRY
from .methods.basic import auth

log = logging.getLogger("authlab.audit")

# Blueprints whose requests are logged (the API's methods and logout-all), and the actions logged even on success.
API_BLUEPRINTS = {*(method.name for method in REGISTRY), "logout_all"}
ALWAYS = {"login", "logout", "logout_all", "refresh", "token"}  # `issuer.token` is the issuer's login
OUTCOMES = {401: "denied", 403: "forbidden", 429: "throttled", 503: "unavailable"}


def _checked_user():
    """The user whose credential this request checked and accepted; None if none was."""
    if "acted_for" in g:  # a password checked (users.check), or named by the view (users.acted_for)
        return g.acted_for
    if "principal" in g:  # set by every token method once its token checked out
        return g.principal.user.username
    if auth.current_user() is not None:
        return auth.current_user().username
    session_user = g.get("_login_user")  # what Flask-Login loaded, if a view asked: never opens the session itself
    if session_user is not None and session_user.is_authenticated:
        return session_user.username
    return None


def _outcome(status, checked):
    """`ok` only where a credential was checked and accepted: a 2xx without one is `unchecked`."""
    if status < 400:
        return "ok" if checked else "unchecked"
    return OUTCOMES.get(status, "invalid" if status < 500 else "error")


def record(response):
    """Log this response if it is a login, a logout, a Basic check (every one is a login) or any failure.

    A CORS preflight (OPTIONS) is no event: the browser asks before the request, which carries no credential
    of its own (a `-u admin:wrong` on one would otherwise read as admin's login)."""
    if request.method == "OPTIONS":
        return response
    method, _, action = (request.endpoint or "").partition(".")
    quiet_success = action not in ALWAYS and method != "basic" and response.status_code < 400
    if method not in current_app.extensions["authlab.audited"] or quiet_success:
        return response
    checked = _checked_user()
    name = checked if checked is not None else attempted_username()
    user = None if name is None else (name if users.get(name) else "<unknown>")
    origin = request.headers.get("Origin")
    log.log(
        logging.INFO if response.status_code < 400 else logging.WARNING,
        "%s method=%s outcome=%s status=%d user=%r origin=%r client=%r",
        action, method, _outcome(response.status_code, checked), response.status_code, user,
        origin if origin is None else origin[:100], request.remote_addr,
    )
    return response


def init_app(app, blueprints=API_BLUEPRINTS):
    """Log `blueprints` from an after_request hook on each of them only (other requests never run it);
    Flask-Login's signals name the user of a session login/logout."""
    app.extensions["authlab.audited"] = set(blueprints)
    for name in blueprints:
        app.after_request_funcs.setdefault(name, []).append(record)
    user_logged_in.connect(lambda sender, user, **extra: users.acted_for(user.username), app, weak=False)
    user_logged_out.connect(lambda sender, user, **extra: users.acted_for(user.username), app, weak=False)
