"""The Flask every authlab app is (the API, the issuer, the BFF, the collector): Flask's behaviour, with bounded
JSON bodies, and without costs Flask pays again on every request.

- JSON bodies: one nested deeper than the parser's recursion limit is malformed JSON (a 400), not a RecursionError
  (a 500): werkzeug turns the ValueError into its 400, which errors.py renders as the API's JSON.
- JSON answers (`jsonify`): Flask's provider builds a new encoder for each answer (`json.dumps` with arguments) and
  works the content type out from a mimetype; here one encoder is made at start and gives the same bytes (sorted
  keys, compact separators, ASCII escapes, Flask's `default`), ~3 µs less per answer. Debug mode indents, as Flask.
- The URL adapter: Flask binds its URL map to each request through werkzeug's `bind_to_environ`, which works the
  host out again and runs it through the (pure Python) IDNA codec every time. Where nothing but the path is matched
  (no SERVER_NAME, host or subdomain matching, TRUSTED_HOSTS or WebSocket upgrade: every authlab app) the same
  adapter is built from the request's host, whose encoding is remembered per host name (~3 µs less per request).
  Anything else goes to Flask; a test holds the two to the same adapter, host errors included.
- Request hooks: before and after the view Flask walks the request's blueprints through its dicts of `before_request`
  and `teardown_request` functions even when none is registered anywhere; with none, what it comes to is nothing
  before the view and the `request_tearing_down` signal after it, which is what runs here (~3.5 µs less per request).
  Any registered hook goes to Flask.
- `ensure_sync`: Flask asks `inspect` whether a view or hook is a coroutine function each time it calls one; for a
  plain function its code flags say so at once (~0.5 µs a call, two or more a request).
"""

import functools
import inspect
import json
from types import FunctionType

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from flask.signals import request_tearing_down
from werkzeug.exceptions import BadHost
from werkzeug.routing import MapAdapter


class ApplicationJSON(DefaultJSONProvider):
    """Flask's JSON provider, bounded on reading, with the encoder of its compact answers made once."""

    def __init__(self, app):
        super().__init__(app)
        self.encoder = json.JSONEncoder(default=self.default, ensure_ascii=self.ensure_ascii, sort_keys=self.sort_keys,
                                        separators=(",", ":"))

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None

    def response(self, *args, **kwargs):
        """As Flask's: one value, or keyword arguments as an object."""
        if (self.compact is None and self._app.debug) or self.compact is False or (args and kwargs) or len(args) > 1:
            return super().response(*args, **kwargs)
        body = self.encoder.encode(args[0] if args else kwargs or None)
        return self._app.response_class(body + "\n", content_type=self.mimetype)


@functools.lru_cache(maxsize=256)  # Host is the client's to choose: a bounded memory of the names seen
def _server_name(host):
    """The host as werkzeug's `Map.bind` gives it to its adapter: lower case, the name IDNA-encoded, the port kept."""
    name, colon, port = host.lower().partition(":")
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise BadHost() from exc
    return f"{name}{colon}{port}"


def _wsgi_text(environ, key, default):
    """A WSGI string as werkzeug decodes it for routing (latin-1 bytes read as UTF-8), or `default` if absent."""
    value = environ.get(key)
    return default if value is None else value.encode("latin1").decode(errors="replace")


class Application(Flask):
    """A Flask app with ApplicationJSON, a cheaper URL adapter, no walk of empty hook tables, and a cheaper
    `ensure_sync` (see the module's docstring)."""

    json_provider_class = ApplicationJSON

    def create_url_adapter(self, request):
        config = self.config
        if (request is None or config["SERVER_NAME"] is not None or config["TRUSTED_HOSTS"] is not None
                or self.url_map.host_matching or self.subdomain_matching or "HTTP_UPGRADE" in request.environ):
            return super().create_url_adapter(request)
        environ = request.environ
        return MapAdapter(self.url_map, _server_name(request.host), _wsgi_text(environ, "SCRIPT_NAME", "/"),
                          self.url_map.default_subdomain or "", environ["wsgi.url_scheme"],
                          _wsgi_text(environ, "PATH_INFO", "/"), environ["REQUEST_METHOD"],
                          _wsgi_text(environ, "QUERY_STRING", None))

    def preprocess_request(self):
        if self.url_value_preprocessors or self.before_request_funcs:
            return super().preprocess_request()
        return None

    def do_teardown_request(self, *exc):
        if self.teardown_request_funcs or not exc:  # Flask's request context always passes the exception (or None)
            return super().do_teardown_request(*exc)
        request_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc[0])
        return None

    def ensure_sync(self, func):
        if type(func) is FunctionType and not func.__code__.co_flags & inspect.CO_COROUTINE:
            return func
        return super().ensure_sync(func)
