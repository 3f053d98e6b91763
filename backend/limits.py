"""Rate limits on password guessing (flask-limiter, counters in the app's Redis).

- Per username, shared by every method: only failures count (LOGIN_USER_LIMIT), but the check runs *before*
  the password is verified, so while a name is locked even the right password gets 429: no guess is confirmed.
  Unknown names are limited exactly like real ones, so a 429 reveals nothing about who exists.
- Per client address, shared by every login endpoint: every attempt counts (LOGIN_CLIENT_LIMIT).
- Basic has no login: each request that carries Basic credentials (Basic's own, and logout-all's) is checked
  the same way, read-only (one GET per window), and only failures count, per name and per client.
  That is Basic's cost here: one Redis GET per window (four by default), and no answer while Redis is down.
- `me` endpoints of the other methods never reach the limiter.

The limiter shares the app's Redis pool (same short timeouts, one retry) and its errors are not swallowed:
a dead Redis makes these endpoints a quick 503 (fail closed), never an unthrottled password check.
"""

import hashlib
import hmac
import math
import time

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import RequestEntityTooLarge

from . import users
from .methods import password_endpoints
from .methods.basic import parse_basic
from .stores import redis_client
from .web.errors import error_response

# Every endpoint that takes a password (the registry's, and logout-all's): logins read it from a JSON body,
# the others from a Basic header.
LOGIN_ENDPOINTS = password_endpoints("json")
BASIC_ENDPOINTS = [*password_endpoints("basic"), "logout_all.logout_all"]

REDIS_KEY_PREFIX = "LIMITS:LIMITER/"  # every counter's key starts so (limits' prefix, then flask-limiter's)

MESSAGES = {
    "login-user": "too many failed logins for this username",
    "login-client": "too many login attempts from this address",
    "basic-client": "too many failed Basic attempts from this address",
}


def attempted_username():
    """The username this request tries, from the Basic header or the JSON body; None if it names none."""
    if request.endpoint in current_app.extensions["authlab.basic_endpoints"]:
        parsed = parse_basic(request.headers.get("Authorization"))
        return users.normalize(parsed[0]) if parsed else None
    try:
        body = request.get_json(silent=True)
    except RequestEntityTooLarge:  # the view answers 413 for it
        return None
    name = body.get("username") if isinstance(body, dict) else None
    return users.normalize(name) if isinstance(name, str) and name else None


def _username_key():
    """A keyed hash of the name, so counters (and the limiter's logs) never hold a password typed as a username."""
    name = attempted_username().encode("utf-8", "surrogatepass")
    return hmac.new(current_app.config["SECRET_KEY"].encode(), name, hashlib.sha256).hexdigest()[:32]


def _names_nobody():
    """No username, no guess: nothing to throttle (a Basic challenge, a malformed body that gets its 400)."""
    return attempted_username() is None


def _failed(response):
    """Only a rejected password counts: 401 (a 403 on /basic/admin is a right password without the role)."""
    return response.status_code == 401


def _too_many(request_limit):
    """The 429 in the API's error shape, with Retry-After until this window resets."""
    scope = request_limit.request_args[-1]
    retry_after = max(1, math.ceil(request_limit.window.reset_time - time.time()))
    message = f"{MESSAGES.get(scope, 'rate limited')}; try again in {retry_after} s"
    return error_response(429, "rate_limited", message, {"Retry-After": str(retry_after)})


def init_app(app, logins=LOGIN_ENDPOINTS, basics=BASIC_ENDPOINTS, storage_uri=None):
    """Attach a limiter to this app and put the limits on every endpoint that checks a password.

    Counters live in the app's Redis; the issuer (one process, keys in memory) passes "memory://".
    """
    config = app.config
    limiter = Limiter(
        get_remote_address,  # request.remote_addr: X-Forwarded-For only counts behind TRUSTED_PROXIES
        storage_uri=storage_uri or config["REDIS_URL"],
        storage_options={} if storage_uri else {"connection_pool": redis_client.redis(app).connection_pool},
        strategy="fixed-window",  # a check is one GET, a failure one INCR script
        key_prefix="ratelimit",
        on_breach=_too_many,
        swallow_errors=False,
        in_memory_fallback_enabled=False,  # fail closed
        headers_enabled=False,  # X-RateLimit-* would cost Redis round trips on every response
    )
    per_user = limiter.shared_limit(
        config["LOGIN_USER_LIMIT"], "login-user", key_func=_username_key, exempt_when=_names_nobody, deduct_when=_failed
    )
    per_client = limiter.shared_limit(config["LOGIN_CLIENT_LIMIT"], "login-client")
    basic_client = limiter.shared_limit(
        config["LOGIN_CLIENT_LIMIT"], "basic-client", exempt_when=_names_nobody, deduct_when=_failed
    )
    for endpoint in logins:
        app.view_functions[endpoint] = per_client(per_user(app.view_functions[endpoint]))
    for endpoint in basics:
        app.view_functions[endpoint] = basic_client(per_user(app.view_functions[endpoint]))
    limiter.init_app(app)
    # Only the decorated endpoints above have limits, and they check themselves. flask-limiter 4 also adds a
    # check of application-wide limits to *every* request (about 40 µs of CPU, `make bench`), with none to find.
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    app.extensions["authlab.limiter"] = limiter
    app.extensions["authlab.basic_endpoints"] = set(basics)
