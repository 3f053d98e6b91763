"""`POST /api/logout-all`: one request, authenticated by any method, ends every login of that user.

Sessions, opaque tokens and refresh families are deleted through the user's index in Redis;
JWTs (ours and the issuer's) issued before this moment are refused from now on. Signed tokens
have no record to delete: they stay valid until they expire — the price of "stateless".
"""

from flask import Blueprint, current_app, g, jsonify, request, session
from flask_login import current_user

from kernel import users
from kernel.audit import audited
from kernel.http import cookies, csrf
from kernel.stores import revocation

from .methods import bearer
from .methods.basic import parse_basic
from .methods.rate_limits import rate_limited

bp = audited(Blueprint("logout_all", __name__, url_prefix="/api"))

PATH = "/api/logout-all"  # its requests open the session too (the session interface's paths)
ENDPOINT = "logout_all.logout_all"  # it takes Basic credentials too: rate-limited as a password check


def init_app(app, token_auths):
    """Register the endpoint; `token_auths`: the registry's TokenAuths, those needing a Redis lookup last."""
    app.extensions["authlab.token_auths"] = tuple(token_auths)
    app.register_blueprint(bp)


def token_auths():
    """The TokenAuths a Bearer token or a token cookie is tried by, in order (handed over by create_app)."""
    return current_app.extensions["authlab.token_auths"]


def _from_authorization(header):
    """The user proven by a Basic, Bearer or DPoP header, a 401 if it proves nothing, None for other schemes."""
    scheme = header.partition(" ")[0].lower()
    if scheme == "basic":
        parsed = parse_basic(header)
        user = users.verify(*parsed) if parsed else None
        if user is None:
            raise bearer.missing("wrong or malformed Basic credentials")
        return user
    if scheme in ("bearer", "dpop"):
        token, transport = bearer.from_header((scheme,))
        for auth in token_auths():
            if scheme not in auth.schemes:  # DPoP: only a method that checks the proof (JWT) may try the token
                continue
            try:
                return auth.principal(token, transport).user
            except bearer.InvalidToken:
                continue
        raise bearer.rejected("no token method accepts this token")
    return None


def _from_cookies():
    """The user proven by a session or token cookie, after the CSRF check cookies always need."""
    if current_user.is_authenticated:
        csrf.check(session.get("_csrf"))
        return current_user
    if g.get("duplicate_cookie"):  # the session interface refused the session cookie
        raise g.duplicate_cookie
    for auth in token_auths():
        found = bearer.from_cookie(auth.cookie)
        if found is not None:
            principal = auth.check(*found)
            auth.check_csrf(principal)
            return principal.user
    raise bearer.missing("log in first: any method's credentials will do (Basic, Bearer, or a login cookie)")


@bp.post("/logout-all")
@rate_limited.basic
def logout_all():
    """End every session, opaque token and refresh family of the caller; refuse their older JWTs."""
    header = request.headers.get("Authorization")
    user = (_from_authorization(header) if header else None) or _from_cookies()
    users.acted_for(user.username)
    ended, since = revocation.end_everything(user.username)
    response = jsonify(
        user=user.username, ended=ended, jwts_issued_before=since,
        message="every session, opaque token and refresh family of this user is ended and older JWTs are refused; "
        "signed tokens have no server record and stay valid until they expire",
    )
    if current_user.is_authenticated and current_user.username == user.username:
        session.clear()  # the record is already gone; this expires the cookie with its own attributes
    for auth in token_auths():
        for name, path in auth.cookies.values():
            if cookies.present(name, path):
                cookies.delete_cookie(response, name, cookies.default_options(), path)
    return response
