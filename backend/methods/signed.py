"""Signed tokens: the token carries the user and a timestamp, signed; the server keeps nothing.

That is what "stateless" really means: no Redis command at all, so it also works with Redis
down — and logout cannot end a token, which stays valid until `max_age` passes. A token minted with
the demo's shorter `ttl` carries its own `exp` in the signed payload; verification honours both.
SIGNED_TOKEN_SECRETS lists signing keys, oldest first: the last signs, all verify (key rotation).

    curl -s -H 'Content-Type: application/json' \\
         -d '{"username": "alice", "password": "wonderland"}' localhost:8000/api/signed/login
    curl -i -H "Authorization: Bearer $TOKEN" localhost:8000/api/signed/me
"""

import hashlib

from flask import Blueprint, current_app, g, jsonify
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from kernel import clock, users
from kernel.audit import audited
from kernel.http import cookies
from kernel.http.request_bodies import demo_ttl, json_body

from . import Method, bearer
from .kinds import PasswordSource, Storage, Verification
from .rate_limits import rate_limited

bp = audited(Blueprint("signed", __name__, url_prefix="/api/signed"))


class SecondsSigner(TimestampSigner):
    """itsdangerous's timed signer, made once per app (its serializer makes one per token): its keys derived once
    (itsdangerous derives them on every check), OpenSSL's HMAC in one call (its default SHA-1 is a Python wrapper,
    for which `hmac` composes the HMAC in Python: the same bytes, slower), the signing time kept in Unix seconds."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, digest_method=hashlib.sha1, **kwargs)
        self.derived = {}

    def derive_key(self, secret_key=None):
        key = self.derived.get(secret_key)
        if key is None:
            key = self.derived[secret_key] = super().derive_key(secret_key)
        return key

    def timestamp_to_datetime(self, ts):
        return ts


class SignedTokens:
    """The app's serializer (it signs at login) and the signer and lifetime every check uses."""

    def __init__(self, config):
        self.max_age = config["TOKEN_TTL"]
        self.serializer = URLSafeTimedSerializer(config["SIGNED_TOKEN_KEYS"], salt="authlab.signed-token",
                                                 signer=SecondsSigner)
        self.signer = self.serializer.make_signer()


def init_app(app):
    """Make the app's SignedTokens from its settings: once, not per token."""
    app.extensions["authlab.signed"] = SignedTokens(app.config)


def _own_exp(payload):
    """The `exp` a token minted with a demo `ttl` carries (signed, so it is ours), or None."""
    exp = payload.get("exp")
    if exp is not None and (not isinstance(exp, int) or isinstance(exp, bool)):
        raise bearer.InvalidToken("the token's `exp` is not a whole number of seconds")
    return exp


def verify(token):
    """Check signature and age in memory; what the token says is all there is."""
    tokens = current_app.extensions["authlab.signed"]
    try:
        signed, signed_at = tokens.signer.unsign(token, max_age=tokens.max_age, return_timestamp=True)
        payload = tokens.serializer.load_payload(signed)
    except SignatureExpired:
        raise bearer.InvalidToken(f"the token is older than {tokens.max_age} seconds") from None
    except BadSignature:  # BadPayload too
        raise bearer.InvalidToken("the signature does not match (tampered, or signed with an unknown key)") from None
    user = users.get(payload.get("sub", "")) if isinstance(payload, dict) else None
    if user is None:
        raise bearer.InvalidToken("the token names no known user")
    now, exp = clock.now(), _own_exp(payload)
    if exp is not None and now >= exp:
        raise bearer.InvalidToken("the token has passed its own `exp` (the shorter ttl it was minted with)")
    deadline = signed_at + tokens.max_age  # never later than TOKEN_TTL, whatever `exp` says
    deadline = deadline if exp is None else min(deadline, exp)
    details = {"expires_in": max(0, deadline - int(now))}
    return bearer.Principal(user, token, csrf_key=token, cookie=cookies.carried(payload.get("cookie")), details=details)


auth = bearer.TokenAuth("signed", verify, cookie="signed_token")


@bp.post("/login")
@rate_limited.login
def login():
    """Sign the user's name (and, for cookies, the cookie's attributes) with a timestamp; with a demo `ttl`, its
    own `exp` too."""
    user, transport, opts = bearer.login()
    ttl, seconds = demo_ttl(json_body()), current_app.config["TOKEN_TTL"]
    payload = {"sub": user.username, **({"cookie": opts} if opts else {})}
    if ttl is not None:
        seconds = min(ttl, seconds)
        payload["exp"] = int(clock.now()) + seconds
    token = current_app.extensions["authlab.signed"].serializer.dumps(payload)
    return auth.deliver(transport, opts, token, access_token=(token, seconds))


bearer.serve_me(bp, auth, "Whose token this is, from the token alone: zero Redis commands.")


@bp.post("/logout")
@auth.required
def logout():
    """Honest logout: the server can only forget the cookie; the token itself stays valid until it expires."""
    auth.check_csrf(g.principal)
    body = {
        "revoked": False,
        "expires_in": g.principal.details["expires_in"],
        "message": "signed tokens have no server record to delete: this token stays valid until it expires",
    }
    return auth.forget(jsonify(body), g.principal)


METHOD = Method(
    "signed", "Signed token",
    "A token the API signed (itsdangerous) and keeps no record of; it is valid until it expires, logout or not.",
    bp, storages=tuple(Storage), passwords={"signed.login": PasswordSource.JSON}, kind=Verification.STATELESS,
    auth=auth, cookies=dict(auth.cookies.values()),
)
