"""The JWT codec (PyJWT): minting our HS256 access and refresh tokens, verifying them and the issuer's.

Every claim `iss aud sub iat exp jti` is required and checked, the algorithm is pinned to the
key (HS256 for ours, the JWKS key's own for the issuer's), and the header `typ` says what a
token is for, so a refresh or ID token never passes as an access token (RFC 8725 §3.11).
"""

import base64
import json
import secrets

import jwt
from flask import current_app

from backend import clock, users
from backend.stores import revocation

from . import dpop_binding, jwks_client
from .bearer import InvalidToken, Principal

ACCESS, REFRESH = "at+jwt", "refresh+jwt"
ASYMMETRIC = ("RS256", "ES256", "EdDSA")  # what the issuer may sign with
REQUIRED = ["iss", "aud", "sub", "iat", "exp", "jti"]
MIN_KEY_BYTES = 32
_codec = jwt.PyJWT({"enforce_minimum_key_length": True})


def init_app(app):
    """Refuse to start with an HMAC key short enough to guess (RFC 7518 §3.2: at least 256 bits), or with a
    lifetime cap that would refuse the API's own access tokens."""
    if len(app.config["JWT_SECRET"].encode()) < MIN_KEY_BYTES:
        raise RuntimeError(f"JWT_SECRET must be at least {MIN_KEY_BYTES} bytes; refusing to start")
    if app.config["JWT_MAX_LIFETIME"] < app.config["JWT_ACCESS_TTL"]:
        raise RuntimeError("JWT_MAX_LIFETIME must be at least JWT_ACCESS_TTL; refusing to start")


def mint(user, typ, seconds, sid, extra=None):
    """A signed token of type `typ` for `user` in refresh family `sid` (plus `extra` claims), and its claims."""
    config = current_app.config
    now = clock.issued_at()
    claims = {
        **(extra or {}),
        "iss": config["JWT_ISSUER"], "aud": config["JWT_AUDIENCE"], "sub": user.username,
        "iat": now, "exp": int(now) + seconds, "jti": secrets.token_urlsafe(16), "sid": sid,
    }
    return jwt.encode(claims, config["JWT_SECRET"], algorithm="HS256", headers={"typ": typ}), claims


def _typ(header):
    """The media type in `typ`, compared case-insensitively without the `application/` prefix (RFC 7515)."""
    typ = str(header.get("typ", "")).lower()
    return typ.removeprefix("application/")


def _stated(token, segment):
    """What a token's header (0) or payload (1) segment says, unverified: base64url and JSON of that segment
    alone, to route the token; {} when it is malformed (the verified decode then says why)."""
    try:
        part = token.split(".", 2)[segment]
        stated = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError, RecursionError):  # no such segment, bad base64 or JSON (too deep, too)
        return {}
    return stated if isinstance(stated, dict) else {}


def decode(token, typ):
    """The verified claims of an access or refresh token; InvalidToken for anything else.

    One full decode: the token is routed by the `iss` its payload states (read on its own, ~5 µs) to a
    verifier whose key and algorithm come from that issuer's configuration, never from the token's header;
    the verified decode then requires that very `iss` again, so a token that lies about it fails there.
    """
    config = current_app.config
    try:
        if typ == ACCESS and _stated(token, 1).get("iss") == config["ISSUER_ORIGIN"]:
            header, claims = _verified(token, *_issuer_key(_stated(token, 0).get("kid")), config["ISSUER_ORIGIN"])
        else:
            header, claims = _verified(token, config["JWT_SECRET"], "HS256", config["JWT_ISSUER"])
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"invalid JWT: {exc}") from None
    if _typ(header) != typ:
        raise InvalidToken(f"this is not an access token (typ {header.get('typ')!r}, expected {typ!r})"
                           if typ == ACCESS else f"this is not a refresh token (expected typ {typ!r})")
    if not _is_number(claims["iat"]) or not _is_number(claims["exp"]) or len(claims["jti"]) > 128:
        raise InvalidToken("invalid JWT: `iat` and `exp` must be numbers and `jti` at most 128 characters")
    cap = config["JWT_MAX_LIFETIME"]
    if typ == ACCESS and claims["exp"] - claims["iat"] > cap:  # a leaked key's forgery, or an issuer's mistake
        raise InvalidToken(f"invalid JWT: it claims a lifetime (`exp - iat`) over the {cap} s this API accepts")
    return claims


def _issuer_key(kid):
    """The issuer's key named `kid` (from its JWKS) and its algorithm, which must be asymmetric: a symmetric (`oct`)
    key in a JWKS is public, so anyone could sign with it."""
    key = jwks_client.signing_key(kid)
    if key.key_type == "oct" or key.algorithm_name not in ASYMMETRIC:
        raise jwt.InvalidAlgorithmError(f"the issuer's key {key.key_id!r} is not an asymmetric signing key")
    return key, key.algorithm_name


def _verified(token, key, algorithm, issuer):
    """(header, claims) once the signature under `key`, the pinned algorithm and every required claim check out."""
    config = current_app.config
    complete = _codec.decode_complete(
        token, key, algorithms=[algorithm], audience=config["JWT_AUDIENCE"],
        issuer=issuer, leeway=config["JWT_LEEWAY"], options={"require": REQUIRED},
    )
    return complete["header"], complete["payload"]


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def verify_access(token):
    """Verify an access token, its DPoP proof if it is bound, and, unless JWT_REVOCATION_CHECK is off, its revocation
    (one MGET)."""
    claims = decode(token, ACCESS)
    user = users.get(claims["sub"])
    if user is None:
        raise InvalidToken("the token's subject is not a user here")
    dpop_binding.check(claims, token)  # a `cnf.jkt` token needs a proof by that key (RFC 9449); one SET if so
    if current_app.config["JWT_REVOCATION_CHECK"]:
        reason = revocation.revoked_reason(claims, user.username)  # NFC, as logout-all names the user
        if reason:
            raise InvalidToken(reason)
    return Principal(user, token, csrf_key=claims.get("sid", ""), details={"claims": claims})
