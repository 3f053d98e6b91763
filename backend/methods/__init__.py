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

from .kinds import PasswordSource, Storage, Verification


@dataclass(frozen=True)
class Accepted:
    """Credentials another party issues that a method accepts: a choice of their own on the pages, not a method."""

    name: str  # the pages' key for it
    label: str
    summary: str
    storages: tuple = ("header",)


@dataclass(frozen=True)
class Method:
    """What one authentication method is, as the rest of the API needs to know it."""

    name: str  # the blueprint's name, the URL segment (/api/<name>/...), audit's `method=`, the frontends' key
    label: str  # a few words for tables
    summary: str  # one line: what travels, what the server keeps
    blueprint: Blueprint
    storages: tuple[Storage, ...]  # where a page may keep the credential: a header the page sends, and/or a cookie
    passwords: dict[str, PasswordSource]  # endpoint -> where it reads the password: these are rate-limited
    kind: Verification  # what its `me` costs: a hash per request, one Redis round trip, or nothing stored
    auth: object = None  # bearer methods: their backend.methods.bearer.TokenAuth (`me`, logout-all)
    cookies: dict = field(default_factory=dict)  # base cookie name -> path (names are prefixed in HTTPS mode)
    opens_session: bool = False  # only requests to this method's paths (and logout-all) open a server-side session
    ends_at_logout_all: bool = False  # `POST /api/logout-all` ends this method's logins
    logout_all: str = ""  # what logout-all ends of them, in words (`logout_all_ends` of `GET /api/methods`)
    accepts: tuple = ()  # Accepted: another party's credentials its `me` takes too (the issuer's JWTs)

    def __post_init__(self):
        """Words for what logout-all ends exactly when it ends something, and only declared kinds of fact."""
        if self.ends_at_logout_all != bool(self.logout_all):
            raise ValueError(f"{self.name}: `logout_all` says what logout-all ends, iff `ends_at_logout_all`")
        object.__setattr__(self, "storages", tuple(map(Storage, self.storages)))
        object.__setattr__(self, "passwords", {k: PasswordSource(v) for k, v in self.passwords.items()})
        object.__setattr__(self, "kind", Verification(self.kind))

    @property
    def prefix(self):
        return self.blueprint.url_prefix

    def describe(self, cookie_name, url_map):
        """The JSON the pages render from (`GET /api/methods`), so no label, path or cookie name is written twice:
        cookie names as this deployment sets them (the first authenticates `me`), paths as `url_map` routes them."""
        paths = {rule.endpoint.partition(".")[2]: rule.rule for rule in url_map.iter_rules()
                 if rule.endpoint.startswith(self.name + ".")}
        return {
            "name": self.name, "label": self.label, "summary": self.summary, "storages": list(self.storages),
            "login": paths.get("login") if f"{self.name}.login" in self.passwords else None,
            "me": paths["me"], "paths": paths, "kind": self.kind, "opens_session": self.opens_session,
            "cookies": [{"name": cookie_name(base, path), "path": path} for base, path in self.cookies.items()],
            "rate_limited": sorted(self.passwords),
            "logout_all_ends": self.logout_all if self.ends_at_logout_all else None,
            "accepts": [{"name": other.name, "label": other.label, "summary": other.summary,
                         "storages": list(other.storages)} for other in self.accepts],
        }


from . import basic, json_web_tokens, opaque, session, signed  # noqa: E402  (they import Method from here)

REGISTRY = (basic.METHOD, session.METHOD, opaque.METHOD, signed.METHOD, json_web_tokens.METHOD)


def password_endpoints(where):
    """Every registered endpoint that reads a password from `where` (a PasswordSource)."""
    return [endpoint for method in REGISTRY for endpoint, source in method.passwords.items() if source == where]


def bearer_auths():
    """The bearer methods' TokenAuths, those that look every presented token up in Redis last."""
    return sorted((method.auth for method in REGISTRY if method.auth), key=lambda auth: auth.looks_up)


def session_paths():
    """Path prefixes whose requests may open a server-side session."""
    return tuple(method.prefix + "/" for method in REGISTRY if method.opens_session)
