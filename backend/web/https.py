"""HTTPS and proxies: TLS in HTTPS mode (HSTS), and which proxy hops may name the client."""

from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app):
    """HSTS when the API's origin is https; X-Forwarded-For/-Proto only from TRUSTED_PROXIES hops."""
    hops = app.config["TRUSTED_PROXIES"]
    if hops:  # otherwise anyone could pick their own address and escape the per-client limits
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    if app.config["HTTPS"]:
        hsts = f"max-age={app.config['HSTS_MAX_AGE']}"

        @app.after_request
        def strict_transport_security(response):
            """Browsers that saw this once refuse plain HTTP to this host until max-age runs out."""
            response.headers["Strict-Transport-Security"] = hsts
            return response
