"""The Flask every authlab app is (the API, the issuer, the BFF, the collector): Flask's behaviour, with bounded
JSON bodies, and without two costs Flask pays again on every request.

- JSON bodies: one nested deeper than the parser's recursion limit is malformed JSON (a 400), not a RecursionError
  (a 500): werkzeug turns the ValueError into its 400, which errors.py renders as the API's JSON.
- JSON answers (`jsonify`): Flask's provider builds a new encoder for each answer (`json.dumps` with arguments) and
  works the content type out from a mimetype; here one encoder is made at start and gives the same bytes (sorted
  keys, compact separators, ASCII escapes, Flask's `default`), ~3 µs less per answer. Debug mode indents, as Flask.
- `ensure_sync`: Flask asks `inspect` whether a view or hook is a coroutine function each time it calls one; for a
  plain function its code flags say so at once (~0.5 µs a call, two or more a request).
"""

import inspect
import json
from types import FunctionType

from flask import Flask
from flask.json.provider import DefaultJSONProvider


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


class Application(Flask):
    """A Flask app with ApplicationJSON and a cheaper `ensure_sync` (see the module's docstring)."""

    json_provider_class = ApplicationJSON

    def ensure_sync(self, func):
        if type(func) is FunctionType and not func.__code__.co_flags & inspect.CO_COROUTINE:
            return func
        return super().ensure_sync(func)
