"""JWT: short-lived signed access tokens, rotating refresh tokens, and the price of revoking them.

`me` also accepts the separate issuer's RS256/EdDSA tokens (told apart by `iss`), verified
with its JWKS. With JWT_REVOCATION_CHECK on (the default) every `me` costs one Redis MGET and
fails closed with Redis down; off, access tokens are fully stateless and logout cannot end them.

    curl -s -H 'Content-Type: application/json' \\
         -d '{"username": "alice", "password": "wonderland"}' localhost:8000/api/jwt/login
    curl -i -H "Authorization: Bearer $ACCESS" localhost:8000/api/jwt/me
    curl -s -H 'Content-Type: application/json' -d "{\\"refresh_token\\": \\"$REFRESH\\"}" \\
         localhost:8000/api/jwt/refresh
"""

import secrets

from flask import Blueprint, current_app, g, request

from backend import users
from backend.stores import keys, revocation
from backend.web import csrf
from backend.web.request_bodies import integer_field, json_body, lifetime, text_field

from . import Method, bearer, jwt_codec
from .jwt_codec import ACCESS, REFRESH

bp = Blueprint("jwt", __name__, url_prefix="/api/jwt")
MAX_PADDING = 6144  # a padded access token stays under bearer.MAX_TOKEN_LENGTH
auth = bearer.TokenAuth("jwt", jwt_codec.verify_access, cookie="jwt_access", schemes=("bearer", "dpop"),
                        refresh_token=("jwt_refresh", "/api/jwt"))


def _pair(user, sid, extra=None, access_seconds=None):
    """New access (with `extra` claims, living `access_seconds`, JWT_ACCESS_TTL by default) and refresh tokens in
    family `sid`, and the refresh token's `jti`."""
    config = current_app.config
    access_seconds = access_seconds or config["JWT_ACCESS_TTL"]
    access, access_claims = jwt_codec.mint(user, ACCESS, access_seconds, sid, extra)
    refresh, claims = jwt_codec.mint(user, REFRESH, config["JWT_REFRESH_TTL"], sid)
    pair = {"access_token": (access, access_seconds), "refresh_token": (refresh, config["JWT_REFRESH_TTL"])}
    # what the page's viewer key follows: the family, and the denylist entry a logout of this access token makes
    users.kept(keys.jwt_family(user.username, sid), keys.jwt_deny(user.username, access_claims["jti"]))
    return pair, claims["jti"]


def _padding(body):
    """Optional `padding`: a claim of that many characters, so the demo can show a fat JWT (UI: Measure)."""
    size = integer_field(body, "padding", 0, 0, MAX_PADDING)
    return {"padding": "x" * size} if size else None


@bp.post("/login")
def login():
    """Verify once, start a refresh family in Redis, and hand out an access + refresh pair. A demo `ttl` shortens the
    access token only: the refresh token keeps its lifetime, as a JWT login outlives its short access tokens."""
    user, transport, opts = bearer.login()
    sid = secrets.token_urlsafe(16)
    body = json_body()
    access_seconds = lifetime(body, current_app.config["JWT_ACCESS_TTL"])
    pair, refresh_jti = _pair(user, sid, _padding(body), access_seconds)
    revocation.start_family(user.username, sid, refresh_jti, opts)
    return auth.deliver(transport, opts, sid, **pair)


bearer.serve_me(bp, auth, "The verified claims: signature, every required claim, type, and (unless off) revocation.")


def _presented_refresh_token():
    """(token, transport): the JSON body's `refresh_token` if it has one, else the refresh cookie (CSRF applies)."""
    has_body = request.content_length or request.headers.get("Transfer-Encoding")  # a chunked body is one too
    body = json_body() if has_body else {}
    if "refresh_token" in body:
        return text_field(body, "refresh_token", limit=bearer.MAX_TOKEN_LENGTH), "header"
    found = bearer.from_cookie(*auth.cookies["refresh_token"])
    if found is None:
        raise bearer.missing("no refresh token: send {\"refresh_token\": ...} or the jwt_refresh cookie")
    return found


@bp.post("/refresh")
def refresh():
    """Spend the refresh token for a new pair; a spent one presented again ends the whole family."""
    token, transport = _presented_refresh_token()
    try:
        claims = jwt_codec.decode(token, REFRESH)
    except bearer.InvalidToken as exc:
        raise bearer.rejected(str(exc)) from None
    if transport == "cookie":
        csrf.check(csrf.token_for(claims["sid"]))
    user = users.get(claims["sub"])
    if user is None:
        raise bearer.rejected("the token's subject is not a user here")
    users.acted_for(user.username)
    pair, next_jti = _pair(user, claims["sid"])
    outcome, opts = revocation.rotate(user.username, claims["sid"], claims["jti"], next_jti)
    if outcome == "reused":
        raise bearer.rejected("this refresh token was already spent: the whole token family is now revoked")
    if outcome == "unknown":
        raise bearer.rejected("this refresh token's family was revoked (logout, logout-all or reuse)")
    return auth.deliver(transport, opts, claims["sid"], **pair)


@bp.post("/logout")
@auth.required
def logout():
    """Deny this access token's `jti` until its `exp` and end its refresh family."""
    auth.check_csrf(g.principal)
    opts = revocation.end_jwt(g.principal.user.username, g.principal.details["claims"])
    return auth.forget(current_app.response_class(status=204), g.principal, opts)


METHOD = Method(
    "jwt", "JWT", "a short-lived signed access token (plus a rotating refresh token); also accepts the issuer's",
    bp, storages=("header", "cookie"), passwords={"jwt.login": "json"}, kind="redis",
    auth=auth, cookies=dict(auth.cookies.values()),
    logout_all="every refresh family of the user; access tokens issued before it are refused",
)
