"""authlab: one Flask API, five ways to log in, built to show what travels and what breaks across sites.

Where things are: methods/ (one module per way to log in, and the registry) and here the parts every method
shares. It stands on kernel/ (settings, errors, request bodies, cookies, CSRF, CORS, the Redis stores, the audit
log, the rate limiter's mechanism), which imports no app. Importing this package loads nothing but Flask: the
factory imports the blueprints and hands each `init_app` what the registry implies. What runs for a request is
declared at its view or blueprint: `@rate_limited.login` / `.basic` (methods/rate_limits.py), `audited(bp)`
(kernel/audit.py); every patch of a library is in kernel/patches.py.
"""

import logging


def create_app(config=None):
    """Build the API: environment settings, then `config` overrides (tests), then each concern, then the routes."""
    from kernel import patches, settings, users
    from kernel.http import cookies, cors, errors, https, server_timing
    from kernel.stores import redis_client, sessions

    from . import inspect_records, logout_all, openapi, shared_endpoints
    from .methods import REGISTRY, bearer_auths, jwks_client, jwt_codec, rate_limits, session_paths, signed
    from .methods import session as session_method
    from .methods.kinds import Verification

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    patches.check_overridden()
    app = cors.CrossOriginApp(__name__)
    app.config.from_mapping(settings.from_env(), MAX_CONTENT_LENGTH=64 * 1024)
    app.config.update(config or {})
    app.config.update(settings.derived(app.config))

    errors.init_app(app)
    users.init_app(app)
    https.init_app(app)
    cors.init_app(app)
    redis_client.init_app(app)
    if app.config["DEMO_COOKIE_OPTIONS"]:  # demo introspection: what each request cost, on every answer
        server_timing.init_app(app)
        patches.count_round_trips(redis_client.pooled(app), server_timing.round_trip)
    sessions.init_app(app, paths=(*session_paths(), logout_all.PATH), cookie_jar=cookies)
    session_method.init_app(app)
    signed.init_app(app)
    jwt_codec.init_app(app)
    jwks_client.init_app(app)
    stored_logins = {endpoint for method in REGISTRY if method.kind == Verification.REDIS
                     for endpoint in method.passwords}
    rate_limits.init_app(app, needs_store={*stored_logins, logout_all.ENDPOINT})

    for blueprint in (shared_endpoints.bp, openapi.bp, *(method.blueprint for method in REGISTRY)):
        app.register_blueprint(blueprint)
    logout_all.init_app(app, token_auths=bearer_auths())
    inspect_records.init_app(app)
    return app
