"""Rate limits on password guessing: decorators on the views that check a password, counted before the check.

- Per username, shared by every method and the issuer: only failures count (LOGIN_USER_LIMIT). Each attempt is
  counted *before* its hash (one INCR per window, in one script) and refunded unless the password was wrong, so
  N concurrent wrong guesses get at most the limit of hash checks: the n-th of them sees n. While a name is
  locked even the right password gets 429 and is never checked: no guess is confirmed. Unknown names are
  limited exactly like real ones, so a 429 reveals nothing about who exists.
- Per client address, the hash budget: every password check counts, right or wrong, at every view wearing
  `@limits.login` (a JSON body's password) or `@limits.basic` (a Basic header's), in one budget
  (LOGIN_CLIENT_LIMIT). A right password is not refunded there, so no client can make the server hash without
  limit; a Basic client over it gets 429 + Retry-After like a login does. A Basic request without credentials
  costs no hash and is not counted. Per name, Basic counts only failures like a login: two round trips (count,
  refund) for a right password.
- Views without the decorator (every `me` but Basic's) never reach this module: nothing here runs for them.
- Redis down or hung: the counters fall back to this process's memory (kernel/stores/counters.py). Basic and
  signed tokens, which need no store, keep working; a view the app names as needing the store anyway (a
  session, opaque or JWT login) answers 503 before any hash.

Why not flask-limiter (used before): its `deduct_when` counts a failure *after* the view, so concurrent guesses
all passed the check before any was counted (30-50 parallel wrong passwords got 15-17 hash checks, not 10); and
it hooks after-request and teardown functions into every request of the app. The windows and 429s are the same
as it had. Key names carry the counted identity as a hash tag (kernel/stores/keys.py).
"""

import functools
import math
from dataclasses import dataclass

from flask import current_app, g, request
from limits import parse_many
from werkzeug.exceptions import RequestEntityTooLarge

from kernel import users
from kernel.failures import STORE_ERRORS
from kernel.http.errors import error_response, store_unavailable
from kernel.http.headers import parse_basic
from kernel.stores import keys as redis_keys
from kernel.stores import redis_client
from kernel.stores.counters import Counters

MESSAGES = {
    "login-user": "too many failed logins for this username",
    "login-client": "too many login attempts from this address",
}


@dataclass(frozen=True)
class Rule:
    scope: str  # the 429's message, and part of the key
    windows: tuple  # limits' RateLimitItems
    key: object  # () -> the counted identity
    failures_only: bool  # refunded unless the answer is a 401
    needs_name: bool  # nothing to count when the request names no user


def _name_in_body():
    """The username a JSON login (or the authorization server's login form) tries; None if it names none."""
    try:
        form = request.mimetype == "application/x-www-form-urlencoded"
        body = request.form if form else request.get_json(silent=True)
    except RequestEntityTooLarge:  # the view answers 413 for it
        return None
    name = body.get("username") if hasattr(body, "get") else None  # a JSON object, or the AS login page's form
    return users.normalize(name) if isinstance(name, str) and name else None


def _name_in_basic_header():
    """The username a Basic header tries; None if it names none."""
    parsed = parse_basic(request.headers.get("Authorization"))
    return users.normalize(parsed[0]) if parsed else None


NAME_READERS = {"json": _name_in_body, "basic": _name_in_basic_header}


def _username_key():
    """A keyed hash of the name, so counters (and logs) never hold a password typed as a username."""
    return redis_keys.counted_name(current_app.config["SECRET_KEY"], g.attempted_username)


def _client_key():
    return request.remote_addr or ""  # X-Forwarded-For only counts behind TRUSTED_PROXIES (ProxyFix)


@dataclass(frozen=True)
class AppLimits:
    """One app's rules (from its config), counters and the views that need the store anyway."""

    rules: dict  # "json" | "basic" -> the rules a view reading its password there counts
    counters: Counters
    needs_store: frozenset  # endpoints that write to Redis after the check: 503 at once while it is out


def _too_many(scope, ms):
    """The 429 in the API's error shape, with Retry-After until this window resets."""
    retry_after = max(1, math.ceil(ms / 1000))
    message = f"{MESSAGES.get(scope, 'rate limited')}; try again in {retry_after} s"
    return error_response(429, "rate_limited", message, {"Retry-After": str(retry_after)})


class PasswordLimits:
    """`@limits.login` for a view reading a password from a JSON body, `@limits.basic` from a Basic header."""

    def init_app(self, app, needs_store=()):
        """The windows from LOGIN_USER_LIMIT and LOGIN_CLIENT_LIMIT, counted in the app's Redis (the issuer's too)."""
        config = app.config
        per_user = Rule("login-user", tuple(parse_many(config["LOGIN_USER_LIMIT"])), _username_key, True, True)
        client_windows = tuple(parse_many(config["LOGIN_CLIENT_LIMIT"]))
        per_client = Rule("login-client", client_windows, _client_key, False, False)
        basic_client = Rule("login-client", client_windows, _client_key, False, True)  # the same budget, once named
        counters = Counters(redis_client.pooled(app))
        app.extensions["authlab.limits"] = counters
        app.extensions["authlab.password_limits"] = AppLimits(
            {"json": (per_client, per_user), "basic": (basic_client, per_user)}, counters, frozenset(needs_store))

    def login(self, view):
        """Limit a view that checks the password of a JSON body's `username`."""
        return _limited(view, "json")

    def basic(self, view):
        """Limit a view that checks the password of a Basic header (every request that carries one)."""
        return _limited(view, "basic")


def _limited(view, password_from):
    """Wrap a view: count this attempt in every rule's windows first, run the view, refund what must not stay.

    For a view the app names in `needs_store` (a session, opaque or JWT login), Redis out means the 503 at once:
    no password is checked for a login that cannot be recorded, and no second Redis timeout is paid.
    """
    read_name = NAME_READERS[password_from]

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        limits = current_app.extensions["authlab.password_limits"]
        g.attempted_username = read_name()
        named = g.attempted_username is not None
        rules = [rule for rule in limits.rules[password_from] if named or not rule.needs_name]
        counted = [(rule, window) for rule in rules for window in rule.windows]
        if not counted:
            return view(*args, **kwargs)
        keys = [redis_keys.rate_limit(rule.scope, rule.key(), w.amount, w.get_expiry()) for rule, w in counted]
        counters = limits.counters
        (over, ms), store = counters.count(keys, [w.amount for _, w in counted], [w.get_expiry() for _, w in counted])
        if over:
            return _too_many(counted[over - 1][0].scope, ms)
        if request.endpoint in limits.needs_store and store is counters.memory:
            counters.refund(store, keys)
            return store_unavailable()
        try:
            response = current_app.make_response(view(*args, **kwargs))
            status = response.status_code
        except Exception as exc:  # ApiError carries .status, werkzeug's HTTPException .code
            status = 503 if isinstance(exc, STORE_ERRORS) else getattr(exc, "status", None) or getattr(exc, "code", 500)
            raise
        else:
            return response
        finally:  # only a rejected password (401; a 403 on /basic/admin is a right one) keeps a failure counted
            wrong_password = status == 401
            refunds = [key for key, (rule, _) in zip(keys, counted, strict=True)
                       if rule.failures_only and not wrong_password]
            # A 503 is Redis failing inside the view: a refund would only wait out a second timeout, so it stays.
            if refunds and not (status == 503 and store is not counters.memory):
                counters.refund(store, refunds)

    wrapper.password_from = password_from  # what tests/guards check on every view that takes a password
    return wrapper
