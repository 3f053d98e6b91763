"""One JSON error shape for the whole API; every library hook ends here."""

from flask import jsonify
from werkzeug.exceptions import HTTPException, InternalServerError

from kernel.failures import STORE_ERRORS  # the store failures, each the 503 below, never a 500

RETRY_AFTER_SECONDS = 2


def error_response(status, error, message, headers=None):
    """Build the API's one error body, `{"error", "message"}`, with the given status and headers."""
    response = jsonify(error=error, message=message)
    response.status_code = status
    response.headers.extend(headers or {})
    return response


def store_unavailable():
    """The 503 every request that needs a dead store gets."""
    return error_response(
        503,
        "store_unavailable",
        "the redis store this request needs is not answering; try again shortly",
        {"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _snake(name):
    return "_".join(name.lower().replace("-", " ").replace("'", "").split())


def _http_error(exc):
    """Keep the exception's own headers (Allow, WWW-Authenticate, ...), replace its HTML body."""
    if exc.response is not None and exc.response.is_json:
        return exc.response  # already built by error_response (e.g. the rate limiter's 429)
    original = exc.get_response()
    headers = {k: v for k, v in original.headers.items() if k.lower() not in ("content-type", "content-length")}
    return error_response(exc.code, _snake(exc.name), exc.description, headers)


def _internal_error(exc):
    """A failure outside a view (e.g. the session hooks) still answers in JSON; a dead store is a 503."""
    if isinstance(exc.original_exception, STORE_ERRORS):
        return store_unavailable()
    return error_response(500, "internal_error", "unexpected server error")


def init_app(app):
    """Route every error, from views and from library hooks, through error_response."""
    app.register_error_handler(ApiError, ApiError.response)
    for store_error in STORE_ERRORS:
        app.register_error_handler(store_error, lambda exc: store_unavailable())
    app.register_error_handler(InternalServerError, _internal_error)
    app.register_error_handler(HTTPException, _http_error)


class ApiError(Exception):
    """Raised anywhere a request must stop with an API error (docs/api.md)."""

    def __init__(self, status, error, message, headers=None):
        super().__init__(message)
        self.status, self.error, self.message, self.headers = status, error, message, headers

    def response(self):
        return error_response(self.status, self.error, self.message, self.headers)
