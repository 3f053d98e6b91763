"""What the BFF's forwarding costs: `GET /bff/api/jwt/me` through BFF-A against `GET /api/jwt/me` straight at the API,
with the same access token, sequential keep-alive requests in interleaved rounds; and Redis's work per request of each.

    python -m bench.bff_forwarding [--requests 200]      # `make bench` runs it too (its own Redis, API and BFF)

The BFF adds one HTTP hop (its own request to the API) and one Redis GET (the session) per call; the figures say
what that is on this machine. The session is written into Redis as the BFF's callback would leave it (the code flow
itself is not what is measured).
"""

import argparse
import contextlib
import statistics
import tempfile
import time
from pathlib import Path

import requests

from stack import procs, redis_server
from stack.environment import api_environment

from . import redis_count

SECRET = "bench-secret-key-not-for-production-0123456789abcdef"
FRONTEND_A = "http://localhost:8001"  # the Origin the BFF expects (no page is served: only the header is sent)


def _timed(session, url, headers, count):
    """Per-request wall times (ms) of `count` sequential GETs on one keep-alive connection; each must answer 200."""
    times = []
    for _ in range(count):
        start = time.perf_counter()
        answer = session.get(url, headers=headers, timeout=5)
        times.append((time.perf_counter() - start) * 1000)
        if answer.status_code != 200:
            raise RuntimeError(f"{url} answered {answer.status_code}: {answer.text[:200]}")
    return times


def _seed_session(redis_url, access_token):
    """A BFF-A session holding `access_token`, as the callback stores it; returns the cookie's value."""
    import bff
    from bff import session_store

    app = bff.create_app({"BFF_SITE": "a", "REDIS_URL": redis_url, "BFF_A_CLIENT_SECRET": "bench"})
    with app.app_context():
        now = time.time()
        return session_store.create({"user": "alice", "access_token": access_token, "refresh_token": None,
                                     "access_expires_at": now + 3600, "expires_at": now + 3600})


def measure(requests_per_round=200, rounds=3, workdir=None, running=None):
    """{"direct": {...}, "bff": {...}, "added_ms_p50": ...}: medians over rounds, Redis work per request of each.

    Its own Redis and API, unless `running` names ones already up: {"redis_url", "api"} (the tests')."""
    with contextlib.ExitStack() as stack:
        folder = Path(workdir or stack.enter_context(tempfile.TemporaryDirectory()))
        bff_port = procs.free_port()
        if running:
            redis_url, api = running["redis_url"], running["api"]
        else:
            redis = stack.enter_context(redis_server.server(procs.free_port(), folder / "redis",
                                                            log=folder / "redis.log"))
            api_port = procs.free_port()
            env = api_environment(api_port, redis.url, SECRET, lenient_limits=True, JWT_SECRET=SECRET + "-jwt",
                                  JWT_ACCESS_TTL="3600")
            stack.enter_context(procs.api(api_port, env, workers=1, log=folder / "api.log"))
            redis_url, api = redis.url, f"http://localhost:{api_port}"
        bff_env = {"REDIS_URL": redis_url, "API_ORIGIN": api, "BFF_A_ORIGIN": f"http://localhost:{bff_port}",
                   "FRONTEND_A_ORIGIN": FRONTEND_A, "BFF_A_CLIENT_SECRET": "bench"}
        stack.enter_context(procs.bff("a", bff_port, bff_env, log=folder / "bff.log"))
        login = requests.post(f"{api}/api/jwt/login", json={"username": "alice", "password": "wonderland"}, timeout=5)
        token = login.json()["access_token"]
        cookie = _seed_session(redis_url, token)
        ways = {
            "direct": (f"{api}/api/jwt/me", {"Authorization": f"Bearer {token}"}),
            "bff": (f"http://localhost:{bff_port}/bff/api/jwt/me",
                    {"Cookie": f"bff_session={cookie}", "X-CSRF": "1", "Origin": FRONTEND_A}),
        }
        sessions = {name: stack.enter_context(requests.Session()) for name in ways}
        for name, (url, headers) in ways.items():
            _timed(sessions[name], url, headers, 20)  # warm: connections open, JWKS and imports loaded
        medians = {name: [] for name in ways}
        for _ in range(rounds):
            for name, (url, headers) in ways.items():
                times = _timed(sessions[name], url, headers, requests_per_round)
                medians[name].append((statistics.median(times), statistics.quantiles(times, n=10)[-1]))
        result = {}
        for name, (url, headers) in ways.items():
            work = redis_count.counted(redis_url, 50, lambda u=url, h=headers, n=name: _timed(sessions[n], u, h, 50))
            result[name] = {
                "p50_ms": round(statistics.median(m[0] for m in medians[name]), 3),
                "p90_ms": round(statistics.median(m[1] for m in medians[name]), 3),
                "redis_commands": round(work["commands"], 2), "redis_round_trips": round(work["round_trips"], 2),
            }
        result["added_ms_p50"] = round(result["bff"]["p50_ms"] - result["direct"]["p50_ms"], 3)
        result["requests"] = requests_per_round * rounds
        return result


def lines(result):
    """The report's lines for a person."""
    d, b = result["direct"], result["bff"]
    return [
        f"BFF forwarding (GET /bff/api/jwt/me vs GET /api/jwt/me, same token, {result['requests']} requests each):",
        f"  direct  p50 {d['p50_ms']:.2f} ms  p90 {d['p90_ms']:.2f} ms  Redis {d['redis_commands']:.2f} commands, "
        f"{d['redis_round_trips']:.2f} round trips per request",
        f"  BFF     p50 {b['p50_ms']:.2f} ms  p90 {b['p90_ms']:.2f} ms  Redis {b['redis_commands']:.2f} commands, "
        f"{b['redis_round_trips']:.2f} round trips per request",
        f"  the BFF adds {result['added_ms_p50']:.2f} ms per request (p50) and "
        f"{b['redis_round_trips'] - d['redis_round_trips']:.2f} Redis round trips of its own (the session's GET)",
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.bff_forwarding", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="sequential requests per way per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    print("\n".join(lines(measure(args.requests, args.rounds))))


if __name__ == "__main__":
    main()
