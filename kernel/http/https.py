"""HTTPS and proxies: HSTS in HTTPS mode, nosniff on every answer, and which proxy hops may name the client.

The API and the issuer both use it (each with its own origin's setting).
"""

from urllib.parse import urlsplit

from werkzeug.middleware.proxy_fix import ProxyFix

from kernel.http.headers import add_to_every_answer


def init_app(app, origin="API_ORIGIN"):
    """HSTS when this app's origin is https; nosniff always; X-Forwarded-For/-Proto only from TRUSTED_PROXIES hops."""
    hops = app.config["TRUSTED_PROXIES"]
    if hops:  # otherwise anyone could pick their own address and escape the per-client limits
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    headers = [("X-Content-Type-Options", "nosniff")]  # a JSON answer is never run as a script or styled as CSS
    if urlsplit(app.config[origin]).scheme == "https":  # browsers that saw HSTS refuse plain HTTP until max-age
        headers.append(("Strict-Transport-Security", f"max-age={app.config['HSTS_MAX_AGE']}"))
    add_to_every_answer(app, *headers)
