"""authlab: one Flask API, five ways to log in, built to show what travels and what breaks across sites.

Where things are: methods/ (one module per way to log in, and the registry), web/ (HTTP plumbing),
stores/ (what the server remembers in Redis), and here the parts every method shares.
"""

import logging

from flask import Flask

from . import audit, inspect_records, limits, logout_all, openapi, shared_endpoints
from . import config as settings
from .methods import REGISTRY, jwks_client, jwt_codec
from .methods import session as session_method
from .stores import redis_client, sessions
from .web import cors, errors, https, request_bodies, server_timing


def create_app(config=None):
    """Build the API: environment settings, then `config` overrides (tests), then extensions and blueprints."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = Flask(__name__)
    app.config.from_mapping(settings.from_env(), MAX_CONTENT_LENGTH=64 * 1024)
    app.config.update(config or {})
    app.config.update(settings.derived(app.config))

    errors.init_app(app)
    request_bodies.init_app(app)
    jwt_codec.init_app(app)
    redis_client.init_app(app)
    server_timing.init_app(app)  # before anything opens a Redis connection
    https.init_app(app)
    jwks_client.init_app(app)
    sessions.init_app(app)
    session_method.init_app(app)
    cors.init_app(app)
    for bp in (shared_endpoints.bp, openapi.bp, *(method.blueprint for method in REGISTRY), logout_all.bp):
        app.register_blueprint(bp)
    inspect_records.init_app(app, [method.name for method in REGISTRY])  # logins answer with a viewer key
    limits.init_app(app)  # wraps registered views, so after the blueprints
    audit.init_app(app)
    return app
