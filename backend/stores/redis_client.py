"""The Redis client: short timeouts and one retry, so a dead Redis is a quick 503, not a hang."""

from flask import current_app
from redis import Redis
from redis.backoff import ConstantBackoff
from redis.exceptions import ConnectionError, RedisError, TimeoutError
from redis.retry import Retry


def make_client(url, timeout):
    """A pooled client that gives up within ~2 x timeout and reconnects by itself later."""
    return Redis.from_url(
        url,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        retry=Retry(ConstantBackoff(0.05), retries=1, supported_errors=(ConnectionError, TimeoutError)),
        health_check_interval=0,
    )


def redis(app=None):
    """The app's client (the current app's unless one is given)."""
    return (app or current_app).extensions["authlab.redis"]


def init_app(app):
    """Create the app's client from REDIS_URL and REDIS_TIMEOUT (no connection is made yet)."""
    app.extensions["authlab.redis"] = make_client(app.config["REDIS_URL"], app.config["REDIS_TIMEOUT"])


def ping():
    """True when Redis answers; never raises."""
    try:
        return bool(redis().ping())
    except RedisError:
        return False
