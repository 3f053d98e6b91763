"""The audit log: every login, logout and failure, with user, method, outcome and origin, and never a secret.

One line per event on the `authlab.audit` logger, for example

    login method=session outcome=ok status=200 user='alice' origin='http://localhost:8001' client='127.0.0.1'

A blueprint is logged where it is declared: `bp = audited(Blueprint(...))`; other requests never run this.
Only names of real users are written: an attempted name that is no user is logged as '<unknown>', because
people type their password into the username field. Of a request, only the username its rate limit read is
used (kernel/password_limits.py); passwords, tokens, cookies and session IDs never reach this module.
"""

import logging

from flask import g, request

from kernel import users

log = logging.getLogger("authlab.audit")

EVENTS = {"login", "logout", "logout_all", "refresh", "token"}  # logged even on success (`issuer.token`: a login)
OUTCOMES = {401: "denied", 403: "forbidden", 429: "throttled", 503: "unavailable"}


def _outcome(status, checked):
    """`ok` only where a credential was checked and accepted: a 2xx without one is `unchecked`."""
    if status < 400:
        return "ok" if checked else "unchecked"
    return OUTCOMES.get(status, "invalid" if status < 500 else "error")


def record(response, every_request=False):
    """Log this response if it is a login, a logout, any failure, or (`every_request`) any answer at all.

    A CORS preflight (OPTIONS) is no event: the browser asks before the request, which carries no credential
    of its own (a `-u admin:wrong` on one would otherwise read as admin's login)."""
    method, _, action = (request.endpoint or "").partition(".")
    if response.status_code < 400 and not every_request and action not in EVENTS:
        return response  # first, as most answers are this: a `me` that succeeded
    if request.method == "OPTIONS":
        return response
    checked = g.get("acted_for")  # a password checked (users.check), a token or session accepted, or named by the view
    name = checked if checked is not None else g.get("attempted_username")
    user = None if name is None else (name if users.get(name) else "<unknown>")
    origin = request.headers.get("Origin")
    log.log(
        logging.INFO if response.status_code < 400 else logging.WARNING,
        "%s method=%s outcome=%s status=%d user=%r origin=%r client=%r",
        action, method, _outcome(response.status_code, checked), response.status_code, user,
        origin if origin is None else origin[:100], request.remote_addr,
    )
    return response


def audited(blueprint, every_request=False):
    """Log this blueprint's logins, logouts and failures (`every_request`: each answer, as every Basic request is a
    login) from an after-request hook of its own."""
    blueprint.after_request(lambda response: record(response, every_request))
    return blueprint
