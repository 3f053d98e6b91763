"""The environment of one API process on a free port, built here for the tests, `make matrix` and `make bench`."""

# Login limits lifted out of the way of runs that log in far more often than a person could, all from 127.0.0.1
# (fuzzing, the matrix, the bench); the limits themselves are tested with the defaults.
LENIENT_LIMITS = {"LOGIN_USER_LIMIT": "1000000/minute", "LOGIN_CLIENT_LIMIT": "1000000/minute"}


def api_environment(port, redis_url, secret_key, *, scheme="http", lenient_limits=False, **settings):
    """SECRET_KEY, REDIS_URL and API_ORIGIN (localhost:`port`), the lenient limits if asked, then `settings`."""
    env = {"SECRET_KEY": secret_key, "REDIS_URL": redis_url, "API_ORIGIN": f"{scheme}://localhost:{port}"}
    return {**env, **(LENIENT_LIMITS if lenient_limits else {}), **settings}
