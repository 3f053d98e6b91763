"""Reading request bodies: JSON only, bounded, with the API's JSON errors for anything else (no password checks:
those live with the methods, backend/methods/credentials.py)."""

from flask import current_app, request

from .errors import ApiError

MAX_CREDENTIAL_LENGTH = 1024
TTL_RANGE = (10, 3600)  # a demo login's `ttl`: long enough to act in, short enough to watch run out


def json_body():
    """The request's JSON object; 415 for another content type, 400 for malformed JSON or a non-object."""
    body = request.get_json()  # raises 415 / 400 as werkzeug HTTPExceptions, rendered as JSON
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", "the body must be a JSON object")
    return body


def text_field(body, name, default=None, choices=None, limit=MAX_CREDENTIAL_LENGTH):
    """A string field of the body, present (unless defaulted), bounded and, if given, one of choices."""
    value = body.get(name, default)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ApiError(400, "invalid_request", f"`{name}` must be a non-empty string of at most {limit} characters")
    if not value.isascii() and _has_surrogate(value):  # JSON's "\ud800" decodes, but no UTF-8 encodes it
        raise ApiError(400, "invalid_request", f"`{name}` must be valid Unicode (a lone surrogate is not)")
    if choices and value not in choices:
        raise ApiError(400, "invalid_request", f"`{name}` must be one of {', '.join(choices)}")
    return value


def integer_field(body, name, default, low, high):
    """An integer field of the body in [low, high] (a JSON number with no fraction, e.g. 10.0, counts, as in JSON
    Schema); 400 for a string, a bool, a fraction or a number out of range."""
    value = body.get(name, default)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ApiError(400, "invalid_request", f"`{name}` must be an integer from {low} to {high}")
    return value


def demo_ttl(body):
    """The demo's `ttl` (seconds, TTL_RANGE) for this login's credential, or None: not given, or the demo options
    are off (then the field is ignored, as the cookie options are)."""
    if not current_app.config["DEMO_COOKIE_OPTIONS"] or "ttl" not in body:
        return None
    return integer_field(body, "ttl", None, *TTL_RANGE)


def lifetime(body, default):
    """How long this login's credential lives: `default` (the configured lifetime), or the demo's `ttl` if shorter."""
    ttl = demo_ttl(body)
    return default if ttl is None else min(ttl, default)


def _has_surrogate(text):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def credentials(body):
    """(username, password) from a login body."""
    return text_field(body, "username"), text_field(body, "password")
