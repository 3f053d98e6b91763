"""CORS for the two frontends: credentials allowed, the headers the pages need to read, and Vary: Origin.

A request without an `Origin` header pays for neither: flask-cors would add nothing to its answer (always_send
is off) after matching its path and looking for the header. So its hook is no app-wide after-request hook (Flask
would call it, ~1.5 µs, for every request): CrossOriginApp attaches it to the requests that bring an `Origin`
only, and its error-handler wrappers skip the others (kernel/patches.py: cors_only_with_origin).
"""

from flask_cors import CORS

from kernel import patches
from kernel.http.application import Application
from kernel.http.headers import add_to_every_answer

cors = CORS()


class CrossOriginApp(Application):
    """A Flask app whose CORS hook runs for the requests that bring an `Origin`, and costs the others nothing."""

    cors_hook = None  # flask-cors's after-request hook, set by init_app

    def request_context(self, environ):
        context = super().request_context(environ)
        if self.cors_hook is not None and "HTTP_ORIGIN" in environ:
            patches.after_this_request_of(context, self.cors_hook)
        return context


def init_app(app):
    """Allow the two frontend origins on /api/*, with credentials; every answer varies by Origin."""
    if not isinstance(app, CrossOriginApp):
        raise TypeError("kernel.http.cors needs a CrossOriginApp: it attaches flask-cors's hook per request")
    patches.cors_only_with_origin()
    cors.init_app(
        app,
        resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}},
        supports_credentials=True,
        always_send=False,  # no Origin, no CORS headers (flask-cors would otherwise list every origin)
        # X-Viewer-Key: /api/inspect; DPoP: the proof a DPoP-bound token comes with (RFC 9449)
        allow_headers=["Authorization", "Content-Type", "X-CSRF-Token", "X-Viewer-Key", "DPoP"],
        expose_headers=["WWW-Authenticate", "Retry-After", "Server-Timing"],  # why a request failed, what it cost
        vary_header=False,  # added below on every response, not only on matching ones
        max_age=600,
    )
    app.cors_hook = app.after_request_funcs[None].pop()  # the one init_app just added: per request from here
    if not getattr(app.cors_hook, "skips_without_origin", False):
        raise patches.MissingPatchTarget("flask-cors no longer adds its hook last: kernel/http/cors.py must be redone")
    # Every answer may differ by Origin (CORS headers), so caches must key on it. A header line of its own (Vary
    # is a list: several lines mean their union, RFC 9110 §5.3): werkzeug's parsed `response.vary` and even a
    # `"Vary" in headers` test cost several µs per request, the line a fraction of one.
    add_to_every_answer(app, ("Vary", "Origin"))
