"""Rate limits on password guessing: fixed windows counted atomically in Redis, before the password is checked.

- Per username, shared by every method and the issuer: only failures count (LOGIN_USER_LIMIT). Each attempt is
  counted *before* its hash (one INCR per window, in one script) and refunded unless the password was wrong, so
  N concurrent wrong guesses get at most the limit of hash checks: the n-th of them sees n. While a name is
  locked even the right password gets 429 and is never checked: no guess is confirmed. Unknown names are
  limited exactly like real ones, so a 429 reveals nothing about who exists.
- Per client address, the hash budget: every password check counts, right or wrong, at every login endpoint and
  on every request that carries Basic credentials (Basic's own, and logout-all's), in one budget
  (LOGIN_CLIENT_LIMIT). A right password is not refunded there, so no client can make the server hash without
  limit; a Basic client over it gets 429 + Retry-After like a login does. A Basic request without credentials
  costs no hash and is not counted. Per name, Basic counts only failures like a login: two round trips (count,
  refund) for a right password.
- `me` endpoints of the other methods never reach this module; nothing here runs on any other request.
- Redis down or hung: counters fall back to this process's memory for FALLBACK_SECONDS, then Redis is tried
  again. Meanwhile each process (and the issuer) counts on its own: with W workers an attacker gets up to
  W x the limit while Redis is down, and a lock taken in Redis is forgotten until it is back. When Redis answers
  again, each process first adds what it counted in memory to Redis, so the outage's guesses still count.
  Basic and signed tokens, which need no store, keep working; logins that need Redis anyway answer 503 before
  any hash.

Why not flask-limiter (used before): its `deduct_when` counts a failure *after* the view, so concurrent guesses
all passed the check before any was counted (30-50 parallel wrong passwords got 15-17 hash checks, not 10); and
it hooks after-request and teardown functions into every request of the app. The windows and 429s are the same
as it had; this is one Lua script and one decorator. Key names carry the counted identity as a hash tag
(backend/stores/keys.py), so on a Redis Cluster one identity's windows are counted by one script.
"""

import functools
import hashlib
import hmac
import math
import threading
import time
from dataclasses import dataclass

from flask import current_app, request
from limits import parse_many
from werkzeug.exceptions import RequestEntityTooLarge

from . import users
from .methods import REGISTRY, password_endpoints
from .methods.basic import parse_basic
from .stores import keys as redis_keys
from .stores import redis_client
from .web.errors import STORE_ERRORS, error_response, store_unavailable

# Every endpoint that takes a password (the registry's, and logout-all's): logins read it from a JSON body,
# the others from a Basic header.
LOGIN_ENDPOINTS = password_endpoints("json")
BASIC_ENDPOINTS = [*password_endpoints("basic"), "logout_all.logout_all"]

REDIS_KEY_PREFIX = redis_keys.LIMITS_PREFIX  # every counter's key starts so
FALLBACK_SECONDS = 2  # after a Redis error, count in memory this long before asking Redis again

MESSAGES = {
    "login-user": "too many failed logins for this username",
    "login-client": "too many login attempts from this address",
}

# Count one attempt in every window (KEYS; ARGV: limits, then window seconds). All or nothing: if any window
# is over its limit, every count is taken back and {index of that window, its ms to reset} is returned.
_COUNT = """
local n = #KEYS
for i = 1, n do
  local count = redis.call('INCR', KEYS[i])
  if count == 1 then redis.call('EXPIRE', KEYS[i], ARGV[n + i]) end
  if count > tonumber(ARGV[i]) then
    for j = 1, i do redis.call('DECR', KEYS[j]) end
    return {i, redis.call('PTTL', KEYS[i])}
  end
end
return {0, 0}
"""


@dataclass(frozen=True)
class Rule:
    scope: str  # the 429's message, and part of the key
    windows: tuple  # limits' RateLimitItems
    key: object  # () -> the counted identity
    failures_only: bool  # refunded unless the answer is a 401
    needs_name: bool  # nothing to count when the request names no user


def attempted_username():
    """The username this request tries, from the Basic header, the JSON body or a login form; None if it names none."""
    if request.endpoint in current_app.extensions["authlab.basic_endpoints"]:
        parsed = parse_basic(request.headers.get("Authorization"))
        return users.normalize(parsed[0]) if parsed else None
    try:
        form = request.mimetype == "application/x-www-form-urlencoded"
        body = request.form if form else request.get_json(silent=True)
    except RequestEntityTooLarge:  # the view answers 413 for it
        return None
    name = body.get("username") if hasattr(body, "get") else None  # a JSON object, or the AS login page's form
    return users.normalize(name) if isinstance(name, str) and name else None


def _username_key():
    """A keyed hash of the name, so counters (and logs) never hold a password typed as a username."""
    name = attempted_username().encode("utf-8", "surrogatepass")
    return hmac.new(current_app.config["SECRET_KEY"].encode(), name, hashlib.sha256).hexdigest()[:32]


def _client_key():
    return request.remote_addr or ""  # X-Forwarded-For only counts behind TRUSTED_PROXIES (ProxyFix)


class MemoryCounters:
    """The same windows in this process's memory, for while Redis cannot be asked."""

    def __init__(self):
        self.lock, self.counts = threading.Lock(), {}  # key -> [count, window ends at]

    def count(self, keys, amounts, seconds):
        now = time.monotonic()
        with self.lock:
            if len(self.counts) > 10_000:
                self.counts = {k: v for k, v in self.counts.items() if v[1] > now}
            entries = []
            for key, amount, window in zip(keys, amounts, seconds, strict=True):
                entry = self.counts.get(key)
                if entry is None or entry[1] <= now:
                    entry = self.counts[key] = [0, now + window]
                entry[0] += 1
                entries.append(entry)
                if entry[0] > amount:
                    for taken in entries:
                        taken[0] -= 1
                    return len(entries), (entry[1] - now) * 1000
            return 0, 0

    def refund(self, keys):
        with self.lock:
            for key in keys:
                if key in self.counts:
                    self.counts[key][0] -= 1

    def take(self):
        """Every count still standing, as (key, count, whole seconds its window has left), and forget them here."""
        now = time.monotonic()
        with self.lock:
            taken, self.counts = self.counts, {}
        return [(key, count, math.ceil(ends - now)) for key, (count, ends) in taken.items() if count > 0 and ends > now]

    def put_back(self, taken):
        """Counts that could not be carried to Redis after all: counted here again."""
        now = time.monotonic()
        with self.lock:
            for key, count, seconds in taken:
                entry = self.counts.setdefault(key, [0, now + seconds])
                entry[0] += count


class Counters:
    """Redis first (one script per count, one pipeline per refund); this process's memory while Redis is out.

    On a cluster the windows of one identity share a slot, not those of the client and of the name: there it is
    one script per identity, and a later one that is full takes the earlier counts back (a refund)."""

    def __init__(self, app):
        self.redis = redis_client.redis(app)
        self.per_slot = self.redis.topology == "cluster"
        self.memory = MemoryCounters()
        self.redis_out_until = 0.0
        self.carry_back = False

    @functools.cached_property
    def script(self):
        return self.redis.register_script(_COUNT)

    @functools.cached_property
    def refunds(self):
        """Refunds are best effort and come after the answer is decided: one try, so a hung Redis costs one
        timeout."""
        return redis_client.without_retry(self.redis)

    def _count_in_redis(self, keys, amounts, seconds):
        groups = {}  # hash tag -> positions: every key of one identity, in order
        for i, key in enumerate(keys):
            groups.setdefault(key.partition("{")[2].partition("}")[0] if self.per_slot else "", []).append(i)
        done = []
        for positions in groups.values():
            group_keys = [keys[i] for i in positions]
            args = [*(amounts[i] for i in positions), *(seconds[i] for i in positions)]
            over, ms = self.script(keys=group_keys, args=args)
            if over:
                if done:
                    self.refund(self.redis, done)
                return positions[over - 1] + 1, ms
            done += group_keys
        return 0, 0

    def _carry_back(self):
        """Add what was counted in memory during an outage to Redis, so an outage resets no window: a window
        Redis does not have yet starts with the memory's seconds left (SET NX EX, then INCRBY)."""
        taken = self.memory.take()
        if not taken:
            return
        try:
            pipe = self.redis.pipeline(transaction=False)
            for key, count, seconds in taken:
                pipe.set(key, 0, ex=max(1, seconds), nx=True)
                pipe.incrby(key, count)
            pipe.execute()
        except STORE_ERRORS:
            self.memory.put_back(taken)
            raise

    def count(self, keys, amounts, seconds):
        """(0, 0) if counted; else (1-based index of the full window, ms until it resets). And the store used."""
        if time.monotonic() >= self.redis_out_until:
            try:
                if self.carry_back:
                    self._carry_back()
                    self.carry_back = False
                return self._count_in_redis(keys, amounts, seconds), self.redis
            except STORE_ERRORS:
                self.redis_out_until = time.monotonic() + FALLBACK_SECONDS
                self.carry_back = True  # what memory counts from now on goes to Redis when it answers again
                current_app.logger.warning("rate-limit counters in process memory: Redis is not answering")
        return self.memory.count(keys, amounts, seconds), self.memory

    def refund(self, store, keys):
        if store is self.memory:
            return self.memory.refund(keys)
        try:
            pipe = self.refunds.pipeline(transaction=False)
            for key in keys:
                pipe.decr(key)
            pipe.execute()
        except STORE_ERRORS:  # the count stays: a right password may be counted once as a failure
            self.redis_out_until = time.monotonic() + FALLBACK_SECONDS
            self.carry_back = True


def _too_many(scope, ms):
    """The 429 in the API's error shape, with Retry-After until this window resets."""
    retry_after = max(1, math.ceil(ms / 1000))
    message = f"{MESSAGES.get(scope, 'rate limited')}; try again in {retry_after} s"
    return error_response(429, "rate_limited", message, {"Retry-After": str(retry_after)})


def limited(view, rules, needs_store):
    """Wrap a view: count this attempt in every rule's windows first, run the view, refund what must not stay.

    With Redis out and a view that `needs_store` anyway (a session, opaque or JWT login), the answer is the 503
    at once: no password is checked for a login that cannot be recorded, and no second Redis timeout is paid.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        named = attempted_username() is not None
        counted = [(rule, window) for rule in rules if named or not rule.needs_name for window in rule.windows]
        if not counted:
            return view(*args, **kwargs)
        keys = [redis_keys.rate_limit(rule.scope, rule.key(), w.amount, w.get_expiry()) for rule, w in counted]
        counters = current_app.extensions["authlab.limits"]
        (over, ms), store = counters.count(keys, [w.amount for _, w in counted], [w.get_expiry() for _, w in counted])
        if over:
            return _too_many(counted[over - 1][0].scope, ms)
        if needs_store and store is counters.memory:
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

    return wrapper


# Password endpoints that write to Redis after the check (logins of methods whose state lives there, logout-all)
NEEDS_STORE = {endpoint for method in REGISTRY if method.kind == "redis" for endpoint in method.passwords}
NEEDS_STORE.add("logout_all.logout_all")


def init_app(app, logins=LOGIN_ENDPOINTS, basics=BASIC_ENDPOINTS):
    """Put the limits on every endpoint that checks a password; counters in the app's Redis (the issuer's too)."""
    config = app.config
    per_user = Rule("login-user", tuple(parse_many(config["LOGIN_USER_LIMIT"])), _username_key, True, True)
    client_windows = tuple(parse_many(config["LOGIN_CLIENT_LIMIT"]))
    per_client = Rule("login-client", client_windows, _client_key, False, False)
    basic_client = Rule("login-client", client_windows, _client_key, False, True)  # the same budget, once named
    for endpoint in logins:
        view = app.view_functions[endpoint]
        app.view_functions[endpoint] = limited(view, (per_client, per_user), endpoint in NEEDS_STORE)
    for endpoint in basics:
        view = app.view_functions[endpoint]
        app.view_functions[endpoint] = limited(view, (basic_client, per_user), endpoint in NEEDS_STORE)
    app.extensions["authlab.limits"] = Counters(app)
    app.extensions["authlab.basic_endpoints"] = set(basics)
