"""The method registry: every way to log in, each declared once, in one module of this package.

Everything that treats methods alike iterates over REGISTRY: create_app registers the blueprints and tells
the rate limits which logins need Redis (each password view wears `@rate_limited.login` or `.basic`, each
blueprint `audited(...)`: tests/guards/ checks both), backend/logout_all.py
ends their logins, the session interface opens sessions only on their paths, `GET /api/methods`
tells the frontends about them, and `make bench` measures them. tests/guards/ fails for a method
that one of these misses.
"""

from dataclasses import dataclass, field

from flask import Blueprint


@dataclass(frozen=True)
class Method:
    """What one authentication method is, as the rest of the API needs to know it."""

    name: str  # the blueprint's name, the URL segment (/api/<name>/...), audit's `method=`, the frontends' key
    label: str  # a few words for tables
    summary: str  # one line: what travels, what the server keeps
    blueprint: Blueprint
    storages: tuple  # where a page may keep the credential: "header" (sent by the page) and/or "cookie"
    passwords: dict  # endpoint -> where it reads the password ("json" body or "basic" header): rate-limited
    kind: str  # what its `me` costs: "password" (hash per request), "redis" (one round trip) or "stateless"
    auth: object = None  # bearer methods: their backend.methods.bearer.TokenAuth (`me`, logout-all)
    cookies: dict = field(default_factory=dict)  # base cookie name -> path (names are prefixed in HTTPS mode)
    opens_session: bool = False  # only requests to this method's paths (and logout-all) open a server-side session
    logout_all: str = ""  # what `POST /api/logout-all` ends of this method's logins ("" for nothing)

    @property
    def prefix(self):
        return self.blueprint.url_prefix

    def describe(self, cookie_name):
        """The JSON the frontends get from `GET /api/methods` (cookie names as this deployment sets them)."""
        return {
            "name": self.name, "label": self.label, "summary": self.summary, "storages": list(self.storages),
            "login": f"{self.prefix}/login" if f"{self.name}.login" in self.passwords else None,
            "me": f"{self.prefix}/me", "kind": self.kind, "opens_session": self.opens_session,
            "cookies": [{"name": cookie_name(base, path), "path": path} for base, path in self.cookies.items()],
            "rate_limited": sorted(self.passwords), "logout_all_ends": self.logout_all or None,
        }


from . import basic, json_web_tokens, opaque, session, signed  # noqa: E402  (they import Method from here)

REGISTRY = (basic.METHOD, session.METHOD, opaque.METHOD, signed.METHOD, json_web_tokens.METHOD)


def password_endpoints(where):
    """Every registered endpoint that reads a password from `where` ("json" or "basic")."""
    return [endpoint for method in REGISTRY for endpoint, source in method.passwords.items() if source == where]


def bearer_auths():
    """The bearer methods' TokenAuths, those that look every presented token up in Redis last."""
    return sorted((method.auth for method in REGISTRY if method.auth), key=lambda auth: auth.looks_up)


def session_paths():
    """Path prefixes whose requests may open a server-side session."""
    return tuple(method.prefix + "/" for method in REGISTRY if method.opens_session)
