"""authlab: one Flask API, four ways to log in, built to show what travels and what breaks across sites."""

import logging

from flask import Flask
from flask_cors import CORS

from . import audit, basic, common, config as settings, errors, issuer_tokens, jwt, jwt_tokens, limits, logout_all
from . import openapi, session, session_store, signed, store, token, transport

cors = CORS()

BLUEPRINTS = (common.bp, openapi.bp, basic.bp, session.bp, token.bp, signed.bp, jwt.bp, logout_all.bp)


def create_app(config=None):
    """Build the API: environment settings, then `config` overrides (tests), then extensions and blueprints."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = Flask(__name__)
    app.config.from_mapping(settings.from_env(), MAX_CONTENT_LENGTH=64 * 1024)
    app.config.update(config or {})
    app.config.update(settings.derived(app.config))

    errors.init_app(app)
    jwt_tokens.init_app(app)
    store.init_app(app)
    transport.init_app(app)
    issuer_tokens.init_app(app)
    session_store.init_app(app)
    session.init_app(app)
    cors.init_app(
        app,
        resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}},
        supports_credentials=True,
        always_send=False,  # no Origin, no CORS headers (flask-cors would otherwise list every origin)
        allow_headers=["Authorization", "Content-Type", "X-CSRF-Token"],
        expose_headers=["WWW-Authenticate", "Retry-After"],  # so the pages can show why a request failed
        vary_header=False,  # added below on every response, not only on matching ones
        max_age=600,
    )
    app.after_request(_vary_origin)
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
    limits.init_app(app)  # wraps registered views, so after the blueprints
    audit.init_app(app)
    return app


def _vary_origin(response):
    """Every answer may differ by Origin (CORS headers), so caches must key on it."""
    response.vary.add("Origin")
    return response
