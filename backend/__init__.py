"""authlab: one Flask API, five ways to log in, built to show what travels and what breaks across sites.

Where things are: methods/ (one module per way to log in, and the registry), web/ (HTTP plumbing),
stores/ (what the server remembers in Redis), and here the parts every method shares. What runs for a request
is declared at its view or blueprint: `@rate_limited.login` / `.basic` (rate_limits.py), `audited(bp)`
(kernel/audit.py); every patch of a library is in kernel/patches.py.
"""

import logging

from flask import Flask

from kernel import patches
from kernel.http import cors, server_timing

from . import config as settings
from . import inspect_records, logout_all, openapi, rate_limits, shared_endpoints
from .methods import REGISTRY, jwks_client, jwt_codec
from .methods import session as session_method
from .stores import redis_client, sessions
from .web import errors, https, request_bodies


def create_app(config=None):
    """Build the API: environment settings, then `config` overrides (tests), then each concern, then the routes."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    patches.check_overridden()
    app = Flask(__name__)
    app.config.from_mapping(settings.from_env(), MAX_CONTENT_LENGTH=64 * 1024)
    app.config.update(config or {})
    app.config.update(settings.derived(app.config))

    errors.init_app(app)
    request_bodies.init_app(app)
    https.init_app(app)
    cors.init_app(app)
    redis_client.init_app(app)
    if app.config["DEMO_COOKIE_OPTIONS"]:  # demo introspection: what each request cost, on every answer
        server_timing.init_app(app)
        patches.count_round_trips(redis_client.redis(app), server_timing.round_trip)
    sessions.init_app(app)
    session_method.init_app(app)
    jwt_codec.init_app(app)
    jwks_client.init_app(app)
    stored_logins = {endpoint for method in REGISTRY if method.kind == "redis" for endpoint in method.passwords}
    rate_limits.init_app(app, needs_store={*stored_logins, "logout_all.logout_all"})

    for blueprint in (shared_endpoints.bp, openapi.bp, *(method.blueprint for method in REGISTRY), logout_all.bp):
        app.register_blueprint(blueprint)
    inspect_records.init_app(app)
    return app
