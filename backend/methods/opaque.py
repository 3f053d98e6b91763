"""Opaque tokens: a random string that means nothing by itself; Redis knows whose it is.

Unlike Django REST framework's built-in tokens, these expire: the record's TTL is `expires_in`.
Redis holds only the SHA-256 of the token, so a leaked database cannot be replayed.

    curl -s -H 'Content-Type: application/json' \\
         -d '{"username": "alice", "password": "wonderland"}' localhost:8000/api/token/login
    curl -i -H "Authorization: Bearer $TOKEN" localhost:8000/api/token/me
"""

import hashlib
import json
import secrets

from flask import Blueprint, current_app, g

from kernel import users
from kernel.audit import audited
from kernel.http.request_bodies import json_body, lifetime
from kernel.stores import keys, revocation
from kernel.stores.redis_client import redis

from . import Method, bearer
from .kinds import PasswordSource, Storage, Verification
from .rate_limits import rate_limited

bp = audited(Blueprint("token", __name__, url_prefix="/api/token"))


def record_key(token):
    """`token:<sha256 hex>`: the token itself is never stored."""
    return keys.token(hashlib.sha256(token.encode()).hexdigest())


def verify(token):
    """One GET: the record names the user, or the token is unknown, expired or logged out."""
    raw = redis().get(record_key(token))
    if raw is None:
        raise bearer.InvalidToken("unknown, expired or logged-out token")
    record = json.loads(raw)
    user = users.get(record["user"])
    if user is None:
        raise bearer.InvalidToken("the token's user no longer exists")
    return bearer.Principal(user, token, csrf_key=token, cookie=record["cookie"])


auth = bearer.TokenAuth("token", verify, cookie="opaque_token", looks_up=True)


@bp.post("/login")
@rate_limited.login
def login():
    """Verify once, store the token's hash with a TTL (TOKEN_TTL, or the demo's shorter `ttl`), and hand it out."""
    user, transport, opts = bearer.login()
    token, seconds = secrets.token_urlsafe(32), lifetime(json_body(), current_app.config["TOKEN_TTL"])
    record = json.dumps({"user": user.username, "cookie": opts})
    revocation.store_indexed(user.username, record_key(token), record, seconds)  # a racing logout-all misses nothing
    users.kept(record_key(token))
    return auth.deliver(transport, opts, token, access_token=(token, seconds))


bearer.serve_me(bp, auth, "Whose token this is, looked up in Redis on this request (one round trip).")


@bp.post("/logout")
@auth.required
def logout():
    """Delete the record: the token is dead at once, everywhere."""
    auth.check_csrf(g.principal)
    revocation.forget(record_key(g.principal.token))
    return auth.forget(current_app.response_class(status=204), g.principal)


METHOD = Method(
    "token", "Opaque token",
    "A random token whose record (with an expiry) the API keeps in Redis; logout deletes it at once.",
    bp, storages=tuple(Storage), passwords={"token.login": PasswordSource.JSON}, kind=Verification.REDIS,
    auth=auth, cookies=dict(auth.cookies.values()), ends_at_logout_all=True,
    logout_all="every opaque token of the user",
)
