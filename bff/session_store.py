"""The BFF's memory in Redis: a session per cookie (the tokens, which never leave), and logins under way.

The cookie carries a random ID (256 bits); Redis keys it by the ID's SHA-256, so a copy of Redis holds no cookie.
Every key has a TTL: a session lives at most BFF_SESSION_TTL, a login under way five minutes.
"""

import hashlib
import json
import secrets
import time

from flask import current_app

from kernel import clock
from kernel.stores import keys
from kernel.stores.redis_client import redis

COOKIE = "bff_session"  # `__Host-bff_session` in HTTPS mode (kernel/http/cookies.py names it)
LOGIN_SECONDS = 300
LOCK_SECONDS = 10  # the most one refresh at the AS may take


def _site():
    return current_app.config["BFF_SITE"]


def _digest(session_id):
    return hashlib.sha256(session_id.encode()).hexdigest()


def start_login(state, verifier, mode):
    """Remember a login under way (its PKCE verifier, the session's mode) until the callback, five minutes at most."""
    redis().set(keys.bff_login(_site(), state), json.dumps({"verifier": verifier, "mode": mode}), ex=LOGIN_SECONDS)


def finish_login(state):
    """{"verifier", "mode"} of the login `state` names, once (GETDEL): a replayed callback finds nothing."""
    started = redis().getdel(keys.bff_login(_site(), state))
    return json.loads(started) if started else None


def create(record):
    """A new session holding `record` (user, tokens, expiries); returns the ID for the cookie."""
    session_id = secrets.token_urlsafe(32)
    save(session_id, record)
    return session_id


def save(session_id, record):
    """Store `record` until the session ends (BFF_SESSION_TTL after the login, never extended)."""
    seconds = max(1, int(record["expires_at"] - clock.now()))
    redis().set(keys.bff_session(_site(), _digest(session_id)), json.dumps(record), ex=seconds)


def load(session_id):
    """The session's record, or None (unknown, expired, or logged out)."""
    raw = redis().get(keys.bff_session(_site(), _digest(session_id)))
    return json.loads(raw) if raw else None


def delete(session_id):
    redis().delete(keys.bff_session(_site(), _digest(session_id)))


def refresh_lock(session_id):
    """True for the one request that may refresh this session now: two refreshes of one rotating refresh token
    would look like theft to the AS (a spent token presented again), which revokes the whole family."""
    return bool(redis().set(keys.bff_refreshing(_site(), _digest(session_id)), 1, nx=True, ex=LOCK_SECONDS))


def release_refresh_lock(session_id):
    redis().delete(keys.bff_refreshing(_site(), _digest(session_id)))


def wait_for_refresh(session_id, seconds=LOCK_SECONDS):
    """The record once another request's refresh is done (its lock gone), polled every 50 ms."""
    deadline = time.monotonic() + seconds
    lock = keys.bff_refreshing(_site(), _digest(session_id))
    while redis().exists(lock) and time.monotonic() < deadline:
        time.sleep(0.05)
    return load(session_id)
