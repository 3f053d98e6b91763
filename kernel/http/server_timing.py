"""`Server-Timing` on every response: what this request cost the API (time, Redis round trips).

    Server-Timing: auth;dur=0.42, redis;desc="1 round trip"

`auth` is the time from the request reaching the app to its response being ready (a Basic request's scrypt
check shows here); `redis` counts the round trips this request made to Redis, whoever made them (the session
interface, a method, the rate limiter: they share one connection pool, whose connections count what they
send). A new connection's handshake is counted apart ("+2 to connect"). `Timing-Allow-Origin` names the two
frontends, so their pages read it from PerformanceResourceTiming.serverTiming too; the header is also exposed
to their scripts (CORS), and DevTools shows it under Timing.

It wraps the WSGI app rather than using Flask hooks: the session is opened before `before_request` and saved
after `after_request`, and both may talk to Redis. It never imports the stores: the factory hands `round_trip` to
the Redis client. A demo feature: with the demo options off (DEMO_COOKIE_OPTIONS=0) it is not installed at all.
"""

import threading
import time

_local = threading.local()  # per request (granian and the test client run one request per thread at a time)


def _plural(n):
    return "1 round trip" if n == 1 else f"{n} round trips"


def header_value(seconds, trips, connects):
    """The Server-Timing value for a request that took `seconds` and made `trips` round trips."""
    desc = _plural(trips) + (f" (+{connects} to connect)" if connects else "")
    return f'auth;dur={seconds * 1000:.2f}, redis;desc="{desc}"'


def round_trip(handshake):
    """Count one Redis round trip of this request (the app's Redis client calls this: kernel/patches.py)."""
    if handshake:
        _local.connects = getattr(_local, "connects", 0) + 1
    else:
        _local.trips = getattr(_local, "trips", 0) + 1


def init_app(app):
    """Add Server-Timing (and Timing-Allow-Origin) to every answer; Redis round trips come in through round_trip."""
    allow = ", ".join(app.config["CORS_ORIGINS"])
    inner = app.wsgi_app

    def timed_app(environ, start_response):
        _local.trips = _local.connects = 0
        started = time.perf_counter()

        def start_with_timing(status, headers, exc_info=None):
            value = header_value(time.perf_counter() - started, _local.trips, _local.connects)
            headers.append(("Server-Timing", value))
            headers.append(("Timing-Allow-Origin", allow))
            return start_response(status, headers, exc_info)

        return inner(environ, start_with_timing)

    app.wsgi_app = timed_app
