"""authlab: one Flask API, five ways to log in, built to show what travels and what breaks across sites.

Where things are: methods/ (one module per way to log in, and the registry), web/ (the API's CORS and
Server-Timing), and here the parts every method shares. It stands on kernel/ (settings, errors, request bodies,
cookies, CSRF, the Redis stores), which imports no app. Importing this package loads nothing but Flask: the
factory imports the blueprints and hands each `init_app` what the registry implies.
"""

import logging

from flask import Flask


def create_app(config=None):
    """Build the API: environment settings, then `config` overrides (tests), then extensions and blueprints."""
    from kernel import settings
    from kernel.http import cookies, errors, https, request_bodies
    from kernel.stores import redis_client, sessions

    from . import audit, inspect_records, limits, logout_all, openapi, shared_endpoints
    from .methods import REGISTRY, bearer_auths, jwks_client, jwt_codec, password_endpoints, session_paths
    from .methods import session as session_method
    from .methods.kinds import PasswordSource
    from .web import cors, server_timing

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
    sessions.init_app(app, paths=(*session_paths(), logout_all.PATH), cookie_jar=cookies)
    session_method.init_app(app)
    cors.init_app(app)
    for bp in (shared_endpoints.bp, openapi.bp, *(method.blueprint for method in REGISTRY)):
        app.register_blueprint(bp)
    logout_all.init_app(app, token_auths=bearer_auths())
    names = [method.name for method in REGISTRY]
    inspect_records.init_app(app, names)  # logins answer with a viewer key
    basics = [*password_endpoints(PasswordSource.BASIC), logout_all.ENDPOINT]  # Basic credentials: a password check
    limits.init_app(app, logins=password_endpoints(PasswordSource.JSON), basics=basics)  # wraps views: after them
    audit.init_app(app, blueprints={*names, logout_all.bp.name})
    return app
