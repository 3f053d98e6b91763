"""What every peer shares: the user table (shaped like authlab's), its settings from the environment, login."""

import functools
import os
import unicodedata
from dataclasses import dataclass

import redis
from flask import abort, request
from werkzeug.security import check_password_hash, generate_password_hash

DEMO_USERS = (("alice", "wonderland", "user"), ("bob", "builder", "user"), ("admin", "admin-pass", "admin"))


@dataclass(frozen=True)
class User:
    username: str
    role: str

    def get_id(self):  # Flask-Login's only requirement besides the three flags below
        return self.username

    is_authenticated, is_active, is_anonymous = True, True, False

    def me(self, method):
        """The body every peer's `me` answers with (authlab's shape: user, method, role)."""
        return {"user": self.username, "method": method, "role": self.role}


def _normalize(text):
    return unicodedata.normalize("NFC", text)


USERS = {_normalize(name): User(_normalize(name), role) for name, _, role in DEMO_USERS}


@functools.cache
def _password_hash(username):
    """The user's scrypt hash, made on first use (so seven peers do not hash at every start)."""
    return generate_password_hash(next(pw for name, pw, _ in DEMO_USERS if _normalize(name) == username))


def get(username):
    """The user called `username`, or None: one dict lookup, as authlab's."""
    return USERS.get(_normalize(username)) if isinstance(username, str) else None


def check(username, password):
    """The user if the scrypt hash matches, else None."""
    user = get(username)
    return user if user and check_password_hash(_password_hash(user.username), password) else None


def login_user_from_body():
    """The user named and proven by a JSON login body, or 401."""
    body = request.get_json(silent=True) or {}
    user = check(body.get("username"), body.get("password", ""))
    if user is None:
        abort(401)
    return user


def env(name, default=None, cast=str):
    return cast(os.environ.get(name, default))


def redis_client():
    """A plain pooled client on the bench's Redis (hiredis parses replies, as in authlab)."""
    return redis.Redis.from_url(env("REDIS_URL", "redis://127.0.0.1:6379/0"))
