"""The notes' "challenge to support multiple servers", counted: two API instances, requests alternating between them."""

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import redis

from . import wire

OUTCOMES = {200: "ok", 401: "auth_failures", 403: "auth_failures", 503: "unavailable"}


def _url(server):
    host, port = server
    return f"http://{host}:{port}"


def restart_redis(service):
    """Stop Redis and start it again on the same data folder; count what it holds before and after."""

    def keys():
        client = redis.Redis.from_url(service.url)
        try:
            return dict(Counter(key.split(b":")[0].decode() for key in client.scan_iter(count=1000)))
        finally:
            client.close()

    before, start = keys(), time.monotonic()
    service.stop()
    service.start()
    return {"keys_before": before, "keys_after": keys(), "seconds": round(time.monotonic() - start, 2)}


def run(methods, servers, users, per_method, restart=None, issuer=None, time_limit=180):
    """Each user logs in once per method, then alternates servers on every request; `restart()` runs halfway.

    Returns per-method counts (ok, auth_failures, unavailable, other) and what `restart()` reported.
    """
    credentials = {(u, m.key): m.obtain(_url(servers[u % 2]), issuer) for u in range(users) for m in methods}
    rounds = -(-per_method // users)  # every user makes this many requests per method
    requests = {
        (u, m.key, s): wire.raw_request(*servers[s], m.path, credentials[u, m.key].headers)
        for u in range(users) for m in methods for s in (0, 1)
    }
    deadline = time.monotonic() + time_limit
    started = time.monotonic()

    def user(u, first, last):
        """Rounds first..last-1 of one user: the k-th request per method goes to the server the last one did not."""
        tally = Counter()
        for k in range(first, last):
            if time.monotonic() > deadline:
                tally["timed_out", ""] += 1
                break
            for m in methods:
                try:
                    status, _ = wire.send(*servers[(u + k + 1) % 2], requests[u, m.key, (u + k + 1) % 2])
                    tally[m.key, OUTCOMES.get(status, "other")] += 1
                except OSError:
                    tally[m.key, "other"] += 1
        return tally

    def phase(first, last):
        with ThreadPoolExecutor(users) as pool:
            return sum(pool.map(lambda u: user(u, first, last), range(users)), Counter())

    tally = phase(0, rounds // 2)
    restarted = restart() if restart else None
    tally += phase(rounds // 2, rounds)
    return {
        "servers": len(servers),
        "users": users,
        "seconds": round(time.monotonic() - started, 2),
        "timed_out": bool(tally["timed_out", ""]),
        "methods": {m.key: _summary(tally, m.key) for m in methods},
        "redis_restart": restarted,
    }


def _summary(tally, key):
    """Counts for one method and the share of requests refused for authentication."""
    counts = {name: tally[key, name] for name in ("ok", "auth_failures", "unavailable", "other")}
    total = sum(counts.values())
    return {"requests": total, **counts, "auth_failure_rate": counts["auth_failures"] / total if total else None}
