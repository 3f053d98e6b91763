"""Fault drill (issue 6 §5): Redis hung (SIGSTOP), then killed (SIGKILL) and restarted, during a burst of requests.

Stateful endpoints answer 503 + Retry-After within 2 s while Redis is gone, stateless ones keep answering, nothing
answers 500, and after the restart (append-only file) everything stored before the crash is still there.
Redis fsyncs its AOF every second, so the drill lets a second pass after storing before it kills Redis: writes
younger than that can be lost in a crash (`appendfsync always` would trade that for a disk write per command).
"""

import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from stack import procs
from tests.conftest import SECRET
from tests.helpers import basic_header

SESSIONS = 5
LOGIN = {"username": "bob", "password": "builder"}


def session_me(base, state):
    return requests.get(f"{base}/api/session/me", cookies={"session_id": state["session"]}, timeout=5)


def session_login(base, state):
    return requests.post(f"{base}/api/session/login", json=LOGIN, timeout=5)


def basic_me(base, state):
    return requests.get(f"{base}/api/basic/me", headers=basic_header("alice", "wonderland"), timeout=5)


def public(base, state):
    return requests.get(f"{base}/api/public", timeout=5)


def echo(base, state):
    return requests.get(f"{base}/api/echo", cookies={"session_id": state["session"]}, timeout=5)


def basic_challenge(base, state):
    return requests.get(f"{base}/api/basic/me", timeout=5)


# name -> (request, needs Redis). Basic with credentials needs the limiter's counters (see backend/limits.py).
PROBES = {
    "session_me": (session_me, True),
    "session_login": (session_login, True),
    "basic_me": (basic_me, True),
    "public": (public, False),
    "echo": (echo, False),
    "basic_challenge": (basic_challenge, False),
}


def store_everything(base):
    """Whatever each method keeps in Redis, made through the API; returns the state the probes and checks use."""
    cookies = []
    for _ in range(SESSIONS):
        response = requests.post(f"{base}/api/session/login", json={"username": "alice", "password": "wonderland"}, timeout=5)
        assert response.status_code == 200
        cookies.append(response.cookies["session_id"])
    return {"session": cookies[0], "sessions": cookies}


def everything_is_still_there(base, state):
    """(what, status) for every stored thing after the restart: all 200."""
    return [("session", session_me(base, {"session": sid}).status_code) for sid in state["sessions"]]


class Burst:
    """Every probe, round-robin from 4 threads, until stopped; each answer as (probe, start, seconds, status, json?)."""

    def __init__(self, base, state):
        self.base, self.state = base, state
        self.results, self._lock, self._stop = [], threading.Lock(), threading.Event()
        self.t0 = time.monotonic()

    def _worker(self, offset):
        names = list(PROBES)
        i = offset
        while not self._stop.is_set() and len(self.results) < 5000:  # bounded in time and in count
            name = names[i % len(names)]
            i += 1
            start = time.monotonic()
            try:
                response = PROBES[name][0](self.base, self.state)
                outcome = (response.status_code, response.headers.get("Content-Type"), response.headers.get("Retry-After"))
            except requests.RequestException as exc:
                outcome = (type(exc).__name__, None, None)
            with self._lock:
                self.results.append((name, start - self.t0, time.monotonic() - start, *outcome))

    def __enter__(self):
        self._pool = ThreadPoolExecutor(4)
        self._futures = [self._pool.submit(self._worker, n) for n in range(4)]
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for future in self._futures:
            future.result(timeout=10)
        self._pool.shutdown()

    def now(self):
        return time.monotonic() - self.t0


@pytest.fixture
def drill_api(own_redis, tmp_path):
    """A real API process on a Redis of the test's own; limits out of the way (the burst logs in a lot)."""
    port = procs.free_port()
    env = {
        "SECRET_KEY": SECRET, "REDIS_URL": own_redis.url, "API_ORIGIN": f"http://localhost:{port}",
        "LOGIN_USER_LIMIT": "100000/minute", "LOGIN_CLIENT_LIMIT": "100000/minute",
    }
    with procs.api(port, env, workers=1, log=tmp_path / "api.log") as api:
        yield api


def test_hang_kill_and_restart_redis_during_a_burst(own_redis, drill_api):
    base = f"http://{drill_api.host}:{drill_api.port}"
    state = store_everything(base)
    time.sleep(1.2)  # one AOF fsync (appendfsync everysec) after the last write
    outages = []
    with Burst(base, state) as burst:
        time.sleep(0.5)
        outages.append([burst.now()])
        own_redis.signal(signal.SIGSTOP)
        time.sleep(1.5)
        own_redis.signal(signal.SIGCONT)
        outages[-1].append(burst.now())
        time.sleep(0.5)
        outages.append([burst.now()])
        own_redis.signal(signal.SIGKILL)
        own_redis.proc.wait(5)
        time.sleep(1.0)
        own_redis.start()  # loads the append-only file
        outages[-1].append(burst.now())
        time.sleep(1.0)
        recovered = burst.now() - 0.5
    results = burst.results

    assert {r[3] for r in results} <= {200, 401, 503}  # never a 500, never a dropped connection
    assert all(r[4] == "application/json" for r in results)
    assert max(r[2] for r in results) < 2  # nobody waits on a dead Redis for more than 2 s
    assert all(r[5] == "2" for r in results if r[3] == 503)
    stateless = [r for r in results if not PROBES[r[0]][1]]
    assert {r[3] for r in stateless} <= {200, 401} and any(o[0] < r[1] < o[1] for r in stateless for o in outages)
    stateful = [r for r in results if PROBES[r[0]][1]]
    unavailable = [r for r in stateful if r[3] == 503]
    assert all(any(start <= r[1] < end for r in unavailable) for start, end in outages)  # each outage was felt
    assert {r[0] for r in unavailable} == {name for name, (_, needs_redis) in PROBES.items() if needs_redis}
    assert all(any(r[1] <= end and start <= r[1] + r[2] for start, end in outages) for r in unavailable)  # only then
    assert {r[3] for r in stateful if r[1] > recovered} == {200}  # all recovered without an API restart
    assert everything_is_still_there(base, state) == [("session", 200)] * SESSIONS
