"""The one way every token method finds, checks and hands out its token, header or cookie alike.

Modelled on flask-jwt-extended: one extractor per location, each returning the same
`(token, transport)` pair, tried in order (header first); everything after extraction —
verification, the 401 with its RFC 6750 challenge, CSRF for cookies, cookie attributes —
is shared. The URL query is never looked at: URLs end up in logs, history and Referer.
"""

import functools
import time
from dataclasses import dataclass, field, replace

from flask import g, jsonify, request

from kernel import users
from kernel.http import cookies, csrf
from kernel.http.errors import ApiError
from kernel.http.request_bodies import text_field

from .credentials import login_body
from .kinds import Storage

CHALLENGE = 'Bearer realm="auth-demo"'
TRANSPORTS = tuple(Storage)  # how a token travels: the page's header, or a cookie
MAX_TOKEN_LENGTH = 8192


class InvalidToken(Exception):
    """A token was presented and is not acceptable; the message says why."""


@dataclass(slots=True)
class Principal:
    """Who a verified token speaks for, and what the shared layer needs to know about it. Made once per request and
    never changed (`replace` makes the cookie's copy); not frozen: a frozen dataclass's `__init__` costs 0.5 µs more."""

    user: users.User
    token: str
    csrf_key: str  # what the CSRF token is derived from: the token itself, or a JWT's family
    transport: Storage = Storage.HEADER
    cookie: dict | None = None  # attributes the login chose, so logout expires the very same cookie
    details: dict = field(default_factory=dict)  # extra fields for `me` (JWT claims, time left, ...)


def rejected(message):
    """401 for a token that was presented and refused (RFC 6750 `invalid_token`); never echoes kilobytes back."""
    challenge = {"WWW-Authenticate": f'{CHALLENGE}, error="invalid_token"'}
    return ApiError(401, "invalid_token", message if len(message) <= 300 else message[:297] + "...", challenge)


def missing(message):
    """401 for a request that brought no token at all: the bare challenge."""
    return ApiError(401, "unauthorized", message, {"WWW-Authenticate": CHALLENGE})


def from_header(schemes=("bearer",)):
    """The token of an `Authorization: Bearer` header (or another of `schemes`: DPoP), or None without one."""
    scheme, _, token = request.environ.get("HTTP_AUTHORIZATION", "").partition(" ")  # as headers.get, 0.5 µs less
    return (token.strip(), Storage.HEADER) if scheme.lower() in schemes else None


def from_cookie(name, path="/"):
    """The token in the cookie called `name` (on `path`), or None."""
    try:
        token = cookies.get(name, path)
    except cookies.DuplicateCookie as exc:
        raise rejected(exc.message) from None
    return (token, Storage.COOKIE) if token is not None else None


def login():
    """A token login's steps: (user, transport, cookie options or None)."""
    body, user = login_body()
    users.kept()  # a viewer key in the answer (demo mode), for the records the method adds (none: signed)
    transport = Storage(text_field(body, "transport", default=Storage.HEADER, choices=TRANSPORTS))
    opts = cookies.options(body)  # validated whatever the transport: a malformed field is a 400 either way
    return user, transport, opts if transport == Storage.COOKIE else None


def serve_me(bp, auth, doc):
    """Add `GET <prefix>/me` to a token method's blueprint: the verified token's `me` body; `doc` says its cost."""

    def me():
        return jsonify(auth.me(g.principal))

    me.__doc__ = doc
    bp.add_url_rule("/me", "me", auth.required(me), methods=["GET"])


class TokenAuth:
    """One token method: its cookie names and its verifier; the rest is the same for every method."""

    def __init__(self, method, verify, cookie, looks_up=False, schemes=("bearer",), **other_cookies):
        self.method, self.verify, self.schemes = method, verify, schemes  # schemes: DPoP too where the verifier checks
        # the proof (backend/methods/dpop_binding.py)
        self.looks_up = looks_up  # its verifier asks Redis about any string: logout-all tries it last
        # response field -> (cookie name, path); `access_token` is the one requests authenticate with
        self.cookies = {"access_token": (cookie, "/"), **other_cookies}
        self.cookie = cookie

    def principal(self, token, transport):
        """The Principal for one presented token; InvalidToken if this method does not accept it."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken(f"the token is empty or longer than {MAX_TOKEN_LENGTH} characters")
        principal = self.verify(token)  # verifiers build it for the header; a copy only for a cookie
        return principal if principal.transport == transport else replace(principal, transport=transport)

    def check(self, token, transport):
        """The Principal for one presented token, or the 401 that says why not."""
        try:
            return self.principal(token, transport)
        except InvalidToken as exc:
            raise rejected(str(exc)) from None

    def authenticate(self):
        """The first token found (header, then cookie), checked; 401 with the bare challenge if none.
        The cookie jar is parsed only when no Bearer header came."""
        found = from_header(self.schemes) or from_cookie(self.cookie)
        if found is not None:
            return self.check(*found)
        raise missing(f"no token: send `Authorization: Bearer <token>` or the {self.cookie} cookie (never the URL)")

    def required(self, view):
        """Decorator: the view runs only with a verified token, available as `g.principal`."""

        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = g.principal = self.authenticate()
            users.acted_for(principal.user.username)  # a token accepted: the audit log's `ok`
            return view(*args, **kwargs)

        return wrapper

    def check_csrf(self, principal):
        """The session rule for cookie-borne tokens: allowed Origin and `X-CSRF-Token` (nothing for headers)."""
        if principal.transport == Storage.COOKIE:
            csrf.check(csrf.token_for(principal.csrf_key))

    def me(self, principal, **extra):
        """The `me` body, with the CSRF token a reloaded page needs when the token rides in a cookie."""
        if principal.transport == Storage.COOKIE:
            extra["csrf_token"] = csrf.token_for(principal.csrf_key)
        return principal.user.me(self.method, transport=principal.transport, **principal.details, **extra)

    def deliver(self, transport, opts, csrf_key, **tokens):
        """Hand out tokens given as name=(value, seconds): in the JSON body (never cached: `no-store`), or as HttpOnly
        cookies (cookies.set_cookie says `no-store` too)."""
        access_seconds = tokens["access_token"][1]
        if transport == Storage.HEADER:
            values = {name: value for name, (value, _) in tokens.items()}
            response = jsonify(**values, token_type="Bearer", expires_in=access_seconds)
            response.headers["Cache-Control"] = "no-store"
            return response
        opts = opts or cookies.default_options()
        csrf_token = csrf.token_for(csrf_key)
        response = jsonify(transport="cookie", expires_in=access_seconds, csrf_token=csrf_token, cookie=opts)
        for name, (value, seconds) in tokens.items():
            cookie, path = self.cookies[name]
            cookies.set_cookie(response, cookie, value, opts, int(time.time()) + seconds, path)
        return response

    def forget(self, response, principal, opts=None):
        """Expire this method's cookies with the attributes they were set with (cookie transport only)."""
        if principal.transport == Storage.COOKIE:
            for cookie, path in self.cookies.values():
                cookies.delete_cookie(response, cookie, opts or principal.cookie or cookies.default_options(), path)
        return response
