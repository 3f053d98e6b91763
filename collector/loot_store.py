"""What the collector holds per run, in Redis, all of it gone COLLECTOR_TTL after the run's first delivery.

    collector:{<run>}:deadline   string  when everything of the run expires (epoch seconds)
    collector:{<run>}:items      list    what was received, JSON (the secret values too: the collector uses them)
    collector:{<run>}:attempts   list    every use, JSON, without secret values (at most MAX_ATTEMPTS, the newest)
    collector:{<run>}:verifier   string  the PKCE verifier of the run's silent flow (§5.1.3)
"""

import json

from flask import current_app

from backend import clock
from backend.stores import keys
from backend.stores.redis_client import redis

MAX_ITEMS = 100
MAX_ATTEMPTS = 500


def deadline(run, now=None):
    """When the run's records expire: set by its first write, never extended."""
    now = clock.now() if now is None else now
    key = keys.collector(run, "deadline")
    at = int(now) + current_app.config["COLLECTOR_TTL"]
    redis().set(key, at, nx=True, exat=at)
    return int(redis().get(key) or 0)


def _expiring(run, pipe, now):
    """Every key of the run expires at its deadline."""
    at = deadline(run, now)
    for part in ("items", "attempts", "verifier"):
        pipe.expireat(keys.collector(run, part), at)


def add_item(run, item, now):
    """Store a received item; its index in the run, or None when the run holds MAX_ITEMS already."""
    key = keys.collector(run, "items")
    if redis().llen(key) >= MAX_ITEMS:
        return None
    index = redis().rpush(key, json.dumps(item)) - 1
    with redis().pipeline() as pipe:
        _expiring(run, pipe, now)
        pipe.execute()
    return index


def items(run):
    return [json.loads(raw) for raw in redis().lrange(keys.collector(run, "items"), 0, -1)]


def item(run, index):
    raw = redis().lindex(keys.collector(run, "items"), index)
    return json.loads(raw) if raw else None


def update_item(run, index, value):
    """Keep what an attempt won (a rotated refresh token, the pair a code gave) for the next attempt."""
    if redis().exists(keys.collector(run, "items")):
        redis().lset(keys.collector(run, "items"), index, json.dumps(value))


def add_attempt(run, attempt, now):
    key = keys.collector(run, "attempts")
    with redis().pipeline() as pipe:
        pipe.rpush(key, json.dumps(attempt))
        pipe.ltrim(key, -MAX_ATTEMPTS, -1)
        _expiring(run, pipe, now)
        pipe.execute()


def attempts(run):
    return [json.loads(raw) for raw in redis().lrange(keys.collector(run, "attempts"), 0, -1)]


def verifier(run, make, now):
    """The run's PKCE verifier, made (by `make`) on first ask."""
    key = keys.collector(run, "verifier")
    redis().set(key, make(), nx=True, exat=deadline(run, now))
    return redis().get(key).decode()


def expires_in(run, now):
    raw = redis().get(keys.collector(run, "deadline"))
    return max(0, int(raw) - int(now)) if raw else None
