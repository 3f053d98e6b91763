"""Cookie attributes for every login that sets a cookie: server defaults, or the demo's per-login choice."""

from flask import current_app, request

from .errors import ApiError
from .request_bodies import text_field

SAMESITE = ("Lax", "Strict", "None")


def name(base, path="/"):
    """An auth cookie's name; in HTTPS mode `__Host-` (`__Secure-` off Path=/), bound to TLS and this host."""
    if not current_app.config["HTTPS"]:
        return base
    return ("__Host-" if path == "/" else "__Secure-") + base


def options(body):
    """SameSite / Secure / Partitioned for this login (docs/api.md, "Cookie options for the matrix")."""
    config = current_app.config
    samesite, partitioned = config["COOKIE_SAMESITE"], False
    if config["DEMO_COOKIE_OPTIONS"]:
        samesite = text_field(body, "samesite", default=samesite, choices=SAMESITE)
        partitioned = body.get("partitioned", False)
        if not isinstance(partitioned, bool):
            raise ApiError(400, "invalid_request", "`partitioned` must be true or false")
    # Browsers drop SameSite=None and Partitioned cookies that are not Secure (http://localhost counts as secure).
    secure = config["COOKIE_SECURE"] or samesite == "None" or partitioned
    return {"samesite": samesite, "secure": secure, "partitioned": partitioned}


def carried(value):
    """Cookie options read back from a token (an untrusted shape, even signed): themselves if well-formed, else None."""
    well_formed = (
        isinstance(value, dict) and value.keys() == {"samesite", "secure", "partitioned"}
        and value["samesite"] in SAMESITE
        and isinstance(value["secure"], bool) and isinstance(value["partitioned"], bool)
    )
    return value if well_formed else None


def default_options():
    """The server's configured attributes, used where no per-login choice is known."""
    return options({})


def set_cookie(response, base, value, opts, expires, path="/"):
    """An HttpOnly cookie with the chosen attributes (path-wide unless a narrower path is given); a response that
    carries a credential is never stored by a cache (`no-store`)."""
    response.headers["Cache-Control"] = "no-store"
    response.set_cookie(name(base, path), value, expires=expires, path=path, httponly=True, **opts)


def delete_cookie(response, base, opts, path="/"):
    """Expire the cookie; a partitioned one is only deleted by a Set-Cookie that is partitioned too."""
    response.delete_cookie(name(base, path), path=path, httponly=True, **opts)


class DuplicateCookie(ApiError):
    """Two cookies of one auth name: a page on another port of this host (cookies ignore ports) or a sibling
    subdomain set one with a longer Path, which the browser sends first. Trusting either lets an attacker log
    the victim into the attacker's account (cookie tossing); the 401 says so."""

    def __init__(self, cookie, count):
        message = (f"this request carries {count} cookies named {cookie}: another site on this host may have set one "
                   "(cookie tossing), so none is trusted; clear this site's cookies and log in again")
        super().__init__(401, "unauthorized", message)


def get(base, path="/"):
    """The value of an auth cookie this request brought (set by set_cookie, so named by `name`), or None;
    DuplicateCookie (a 401) when it came more than once."""
    cookie = name(base, path)
    values = request.cookies.getlist(cookie)
    if len(values) > 1:
        raise DuplicateCookie(cookie, len(values))
    return values[0] if values else None


def present(base, path="/"):
    """Whether the request brought this auth cookie at all (once or more)."""
    return name(base, path) in request.cookies
