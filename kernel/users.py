"""The demo users, kept only as slow password hashes; unknown names cost the same as wrong passwords."""

import functools
import os
import threading
import unicodedata
from dataclasses import dataclass

from flask import after_this_request, current_app, g, has_request_context
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from . import hash_memory

# (username, password, role) — the demo users (README). Hashed once per process, never stored as text.
DEMO_USERS = (
    ("alice", "wonderland", "user"),
    ("bob", "builder", "user"),
    ("zoë", "pässwörd", "user"),
    ("admin", "admin-pass", "admin"),
)


# At most one password hash per core at a time: more would only share the cores, evict each other's 32 MiB from the
# caches (~10% more CPU per hash here) and hold 32 MiB each, however many threads a flood of Basic requests occupies.
_HASHING = threading.BoundedSemaphore(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


@dataclass(frozen=True, eq=False)
class User(UserMixin):
    username: str
    role: str
    password_hash: str

    def get_id(self):
        return self.username

    def me(self, method, **extra):
        """The body every method's `me` endpoint answers with."""
        return {"user": self.username, "method": method, "role": self.role, **extra}


def init_app(app):
    """Checking a password pays for one scrypt hash; with KEEP_HASH_MEMORY, not also for mapping its 32 MiB anew."""
    if app.config["KEEP_HASH_MEMORY"] and not hash_memory.keep():
        app.logger.info("KEEP_HASH_MEMORY: not glibc, each password check maps its own work area")


def acted_for(username):
    """Name the user this request acted for, for the audit log (views whose user it cannot see call this)."""
    g.acted_for = username


def kept(*record_keys):
    """Name the Redis records this request made for its user (none for Basic or a signed token): the response
    then carries a viewer key for them (backend/inspect_records.py, demo mode only)."""
    if "kept" not in g and "authlab.on_kept" in current_app.extensions:
        after_this_request(current_app.extensions["authlab.on_kept"])  # this response only
    g.setdefault("kept", []).extend(record_keys)


def normalize(text):
    """NFC, so `zoë` typed as e + combining diaeresis is the same name (RFC 8265 style)."""
    return unicodedata.normalize("NFC", text)


@functools.cache
def _table():
    users = {}
    for name, password, role in DEMO_USERS:
        users[normalize(name)] = User(normalize(name), role, generate_password_hash(normalize(password)))
    return users, generate_password_hash("dummy password for unknown users")


def get(username):
    """The user called `username`, or None (also for a name that is no string: token payloads are untrusted)."""
    return _table()[0].get(normalize(username)) if isinstance(username, str) else None


def verify(username, password):
    """The user if the password matches; an unknown name still pays for one hash check."""
    users, dummy_hash = _table()
    user = users.get(normalize(username))
    with _HASHING:
        ok = check_password_hash(user.password_hash if user else dummy_hash, normalize(password))
    if user and ok and has_request_context():
        acted_for(user.username)  # a checked, accepted password: the audit log's `ok` needs one
    return user if user and ok else None
