"""`GET /api/inspect?user=<name>`: what the API keeps in Redis for a demo user right now (demo mode only).

The page shows it as "The server keeps" beside its own storage: each record's kind, a short id, the seconds
it has left and its size. It answers by user name, not by credential, so it still answers after a logout and
the page can show the record gone. The id is a keyed HMAC prefix of the Redis key: stable across calls (so the
page can follow one record), but it reveals no session ID, token, token hash, CSRF token or password, and
nothing outside the server can match it to one. Off (404) when DEMO_COOKIE_OPTIONS is off: a real
deployment does not tell anyone who is logged in.

Where it looks (backend/stores/keys.py's layout): the user's index `user:{<name>}:keys` (sessions,
opaque tokens, refresh families, listed until logout-all, so a logged-out record shows as gone), the
logout-all marker, the user's JWT denylist entries, and the rate-limit counters of the user's name and of
the caller's address.
"""

import hashlib
import hmac

from flask import Blueprint, current_app, jsonify, request

from . import limits, users
from .stores import keys
from .stores.redis_client import redis
from .web.errors import ApiError

bp = Blueprint("inspect", __name__, url_prefix="/api")

# Redis key prefix -> the kind the page shows.
KINDS = {
    keys.SESSION_PREFIX: "session",
    keys.TOKEN_PREFIX: "opaque token",
    "jwt:family:": "JWT refresh family",
    "jwt:deny:": "JWT denylist entry",
    "logout_all:": "logout-all marker",
    limits.REDIS_KEY_PREFIX: "rate-limit counter",
}
MAX_SCANNED = 200  # denylist entries and counters listed at most (a demo shows a handful)


def kind(key):
    return next((name for prefix, name in KINDS.items() if key.startswith(prefix)), "other")


def short_id(key):
    """A keyed HMAC prefix of the Redis key: follows one record across calls, matches no credential."""
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), b"authlab.inspect:" + key.encode(), hashlib.sha256)
    return digest.hexdigest()[:10]


def _scan(client, pattern):
    names = []
    for key in client.scan_iter(match=pattern, count=500):
        names.append(key.decode())
        if len(names) >= MAX_SCANNED:
            break
    return names


def _username_hash(name):
    """The rate limiter's keyed hash of a username (backend/limits.py), to find the user's counters."""
    return hmac.new(current_app.config["SECRET_KEY"].encode(), name.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]


def _user():
    name = request.args.get("user", "")
    user = users.get(name) if len(name) <= 64 else None
    if user is None:
        raise ApiError(400, "invalid_request", "`user` must name one of the demo users (alice, bob, zoë, admin)")
    return user


def _counter_scope(key):
    """What a rate-limit counter counts, from its key's words (never the hash or address in it)."""
    scope = next((word for word in ("login-user", "login-client") if word in key), "rate limit")
    return scope


@bp.get("/inspect")
def inspect():
    """The records the API holds for `user` now: kind, short id, seconds left, size in bytes."""
    if not current_app.config["DEMO_COOKIE_OPTIONS"]:
        raise ApiError(404, "not_found", "the inspector is a demo feature, off when DEMO_COOKIE_OPTIONS is off")
    user = _user()
    client = redis()
    indexed = sorted(member.decode() for member in client.smembers(keys.user_index(user.username)))
    counters = _scan(client, f"{limits.REDIS_KEY_PREFIX}*{keys.tag(_username_hash(user.username))}*")
    if request.remote_addr:
        by_address = _scan(client, f"{limits.REDIS_KEY_PREFIX}*/{keys.tag(request.remote_addr)}/*")
        counters += [k for k in by_address if k not in counters]
    denied = _scan(client, keys.jwt_deny(user.username, "*"))
    found = [*indexed, keys.logout_all(user.username), *denied, *counters]
    pipe = client.pipeline(transaction=False)
    for key in found:
        pipe.pttl(key)
        pipe.memory_usage(key)
    answers = pipe.execute()
    records = []
    for i, key in enumerate(found):
        ttl_ms, size = answers[2 * i], answers[2 * i + 1]
        if ttl_ms == -2 and key not in indexed:
            continue  # absent and never indexed (no marker, say): nothing to show
        record = {
            "kind": kind(key), "id": short_id(key), "exists": ttl_ms != -2,
            "ttl": None if ttl_ms < 0 else round(ttl_ms / 1000, 1), "bytes": size,
        }
        if record["kind"] == "rate-limit counter":
            record["counts"] = _counter_scope(key)
        records.append(record)
    config = current_app.config
    return jsonify(
        user=user.username,
        records=records,
        api={
            "jwt_revocation_check": config["JWT_REVOCATION_CHECK"],
            "token_ttl": config["TOKEN_TTL"],
            "jwt_access_ttl": config["JWT_ACCESS_TTL"],
            "jwt_leeway": config["JWT_LEEWAY"],  # an expired JWT is still accepted this long (clock skew)
            "session_idle_timeout": config["SESSION_IDLE_TIMEOUT"],
        },
        note="ids are keyed hashes of the Redis keys: they follow a record, but match no credential",
    )
