"""Redis work per request, read from the server itself: INFO commandstats and read events, before and after."""

import redis

# Commands a client sends when it (re)connects; they are not the request's work and are shown apart.
HANDSHAKE = {"hello", "client", "ping", "select", "auth"}


def snapshot(client):
    """Calls per command, and read events (one per round trip a client makes), in a single INFO."""
    info = client.info("all")
    calls = {name.removeprefix("cmdstat_"): v["calls"] for name, v in info.items() if name.startswith("cmdstat_")}
    return calls, info["total_reads_processed"]


def per_request(before, after, requests):
    """Commands and round trips per request between two snapshots, not counting the second INFO itself, nor the
    handshake of a connection opened meanwhile (a server thread's first, kernel/stores/redis_client.py): redis-py
    sends each handshake command and reads its answer before the next, one round trip each."""
    (calls0, reads0), (calls1, reads1) = before, after
    delta = {name: calls1[name] - calls0.get(name, 0) for name in calls1 if name != "info"}
    delta = {name: n for name, n in delta.items() if n}
    work = {name: n for name, n in delta.items() if name not in HANDSHAKE}
    handshake = sum(delta.values()) - sum(work.values())
    return {
        "commands": sum(work.values()) / requests,
        "round_trips": (reads1 - reads0 - 1 - handshake) / requests,
        "by_command": {name: n / requests for name, n in sorted(work.items())},
        "handshake_commands": handshake,
    }


def counted(redis_url, requests, action):
    """Run `action()` (which makes `requests` requests) and return Redis's work per request."""
    client = redis.Redis.from_url(redis_url)
    try:
        before = snapshot(client)
        action()
        return per_request(before, snapshot(client), requests)
    finally:
        client.close()
