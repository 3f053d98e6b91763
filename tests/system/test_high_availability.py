"""More than one API instance behind a real load balancer (HAProxy), and a Redis that fails over under load."""

import collections
import http.client
import json
import os
import shutil
import stat
import subprocess
import time

import psutil
import pytest
import requests

from stack import load_balancer
from stack.environment import api_environment
from tests.conftest import SECRET
from tests.helpers import SESSION_COOKIE, bearer

LOGIN = {"username": "alice", "password": "wonderland"}
FAST_S = 2  # no answer may take longer, even while Redis fails over
RECOVERY_BUDGET_S = 15  # kill to promoted replica is about 3 s with down-after 1 s


@pytest.fixture
def balanced(redis_service, redis_db, tmp_path):
    """Two API instances on the tests' Redis behind HAProxy (round robin), as `make run-ha` runs them."""
    env = api_environment(0, redis_service.url, SECRET)
    del env["API_ORIGIN"]  # the balancer's origin, set by balanced_apis
    with load_balancer.balanced_apis(tmp_path, env, instances=2) as stack:
        yield stack


class Burst:
    """Requests through the balancer, counting which instance served each kind of request."""

    def __init__(self, url):
        self.url, self.served = url, collections.defaultdict(set)
        self.browser, self.client = requests.Session(), requests.Session()

    def call(self, kind, method, path, session=None, **kwargs):
        response = (session or self.client).request(method, self.url + path, timeout=5, **kwargs)
        self.served[kind].add(response.headers.get("X-Served-By"))
        return response


def direct(api, path, headers):
    """The status of a GET to one instance on its unix socket (which only the balancer, and we, can reach)."""
    connection = http.client.HTTPConnection("localhost", timeout=5)
    connection.sock = api.connect(timeout=5)
    try:
        connection.request("GET", path, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def test_two_instances_behind_the_balancer_serve_every_method_without_one_auth_failure(balanced):
    """200 requests alternate between instances: a session, an opaque token and a chain of JWT refresh rotations
    made on one instance hold on the other; no request fails."""
    burst = Burst(balanced.url)
    csrf = burst.call("login", "POST", "/api/session/login", burst.browser, json=LOGIN).json()["csrf_token"]
    # a copy, to replay after the logout
    cookie = {"Cookie": f"{SESSION_COOKIE}={burst.browser.cookies[SESSION_COOKIE]}"}
    token = burst.call("login", "POST", "/api/token/login", json=LOGIN).json()["access_token"]
    pair = burst.call("login", "POST", "/api/jwt/login", json=LOGIN).json()
    statuses = collections.Counter()
    for _ in range(39):  # five requests a round, so each kind lands on the other instance the next round
        statuses[burst.call("session", "GET", "/api/session/me", burst.browser).status_code] += 1
        statuses[burst.call("token", "GET", "/api/token/me", headers=bearer(token)).status_code] += 1
        refreshed = burst.call("refresh", "POST", "/api/jwt/refresh", json={"refresh_token": pair["refresh_token"]})
        statuses[refreshed.status_code] += 1
        pair = refreshed.json()
        statuses[burst.call("jwt", "GET", "/api/jwt/me", headers=bearer(pair["access_token"])).status_code] += 1
        statuses[burst.call("public", "GET", "/api/public").status_code] += 1
    assert statuses == {200: 195}
    assert all(instances == {"api1", "api2"} for instances in burst.served.values()), burst.served
    logouts = [
        burst.call("logout", "POST", "/api/session/logout", burst.browser, headers={"X-CSRF-Token": csrf}),
        burst.call("logout", "POST", "/api/token/logout", headers=bearer(token)),
        burst.call("logout", "POST", "/api/jwt/logout", headers=bearer(pair["access_token"])),
    ]
    assert [r.status_code for r in logouts] == [204, 204, 204]
    for api in balanced.apis:  # each instance directly: the logout made through either one holds on both
        assert direct(api, "/api/session/me", cookie) == 401
        assert direct(api, "/api/token/me", bearer(token)) == 401
        assert direct(api, "/api/jwt/me", bearer(pair["access_token"])) == 401


def test_the_balancer_takes_a_dead_instance_out_and_answers_json(balanced):
    """One instance stopped: every request still succeeds on the other; both stopped: HAProxy's 503 is JSON."""
    balanced.apis[0].stop()
    answers = [requests.get(balanced.url + "/api/health", timeout=5) for _ in range(10)]
    assert [r.status_code for r in answers] == [200] * 10  # retried on the live one (option redispatch)
    balanced.apis[1].stop()
    answer = requests.get(balanced.url + "/api/health", timeout=5)
    assert answer.status_code in (502, 503) and answer.headers["Content-Type"] == "application/json"
    assert answer.json()["error"] == "upstream_unavailable" and answer.headers["Retry-After"]


def timed(method, url, **kwargs):
    """One request: never 500, never HTML, never slower than FAST_S; a 503 is the contract's JSON with Retry-After."""
    started = time.monotonic()
    response = requests.request(method, url, timeout=5, **kwargs)
    elapsed = time.monotonic() - started
    assert elapsed < FAST_S, f"{method} {url} took {elapsed:.1f}s"
    assert response.status_code in (200, 204, 503), (response.status_code, response.text)
    if response.status_code == 503:
        assert response.json()["error"] and response.headers["Retry-After"], response.text
    return response


def failover_drill(url, kill, recovered=lambda: True):
    """Logouts and reads through `url` while `kill()` takes down the Redis process that holds alice's keys: every
    answer quick (200/204/503 JSON), the outage felt and over within RECOVERY_BUDGET_S, and every logout acknowledged
    before or during it still refused afterwards. `recovered()`: the topology's own word that it failed over.
    Returns the figures docs/scaling.md quotes."""
    tokens = [(kind, requests.post(f"{url}/api/{kind}/login", json=LOGIN, timeout=5).json()["access_token"])
              for _ in range(3) for kind in ("jwt", "token")]
    live_kind, live = tokens.pop(0)  # a JWT: its revocation check reads alice's slot
    acknowledged = []
    for kind, token in tokens[:3]:  # before the failover: confirmed by a replica (WAIT)
        assert timed("POST", f"{url}/api/{kind}/logout", headers=bearer(token)).status_code == 204
        acknowledged.append((kind, token))
    pending = tokens[3:]  # during it
    kill()
    killed = time.monotonic()
    statuses, first_503, last_503, back, slowest = collections.Counter(), None, None, None, 0.0
    while time.monotonic() - killed < RECOVERY_BUDGET_S:
        if pending:
            kind, token = pending[0]
            answer = timed("POST", f"{url}/api/{kind}/logout", headers=bearer(token))
            statuses[answer.status_code] += 1
            if answer.status_code == 204:
                acknowledged.append(pending.pop(0))
        started = time.monotonic()
        probe = timed("GET", f"{url}/api/{live_kind}/me", headers=bearer(live))
        slowest = max(slowest, time.monotonic() - started)
        statuses[probe.status_code] += 1
        if probe.status_code == 503:
            first_503, last_503 = first_503 or time.monotonic() - killed, time.monotonic() - killed
        elif last_503 is not None and back is None:
            back = time.monotonic() - killed
        if not pending and back is not None and recovered():
            break
        time.sleep(0.05)
    assert not pending and statuses[503] > 0 and back is not None, statuses  # the outage was felt, and it ended
    assert recovered()
    for kind, token in acknowledged:
        assert requests.get(f"{url}/api/{kind}/me", headers=bearer(token), timeout=5).status_code == 401
    assert requests.get(f"{url}/api/{live_kind}/me", headers=bearer(live), timeout=5).status_code == 200
    return {"statuses": dict(statuses), "first_503_s": round(first_503, 2), "last_503_s": round(last_503, 2),
            "first_200_after_s": round(back, 2), "slowest_probe_s": round(slowest, 2),
            "acknowledged": len(acknowledged)}


def wrong_login(balancer_port, source_ip, **headers):
    """A wrong password for alice through the balancer, from `source_ip` (any 127.x.y.z is this machine)."""
    connection = http.client.HTTPConnection("127.0.0.1", balancer_port, timeout=5, source_address=(source_ip, 0))
    try:
        body = json.dumps({"username": "alice", "password": "not-her-password"})
        connection.request("POST", "/api/session/login", body, {"Content-Type": "application/json", **headers})
        return connection.getresponse().status
    finally:
        connection.close()


def test_behind_the_balancer_each_client_has_its_own_login_limit_and_cannot_forge_another(redis_service, redis_db,
                                                                                          tmp_path):
    """TRUSTED_PROXIES=1 + `option forwardfor`: the limit follows the client HAProxy saw, not the balancer's address,
    and a client naming another address in X-Forwarded-For is still itself."""
    env = api_environment(0, redis_service.url, SECRET, LOGIN_CLIENT_LIMIT="3/minute")
    del env["API_ORIGIN"]
    with load_balancer.balanced_apis(tmp_path, env, instances=2) as stack:
        port = stack.balancer.port
        assert [wrong_login(port, "127.0.0.2") for _ in range(3)] == [401] * 3
        assert wrong_login(port, "127.0.0.2") == 429
        for forged in ("198.51.100.7", "*", "127.0.0.3", "127.0.0.3, 127.0.0.4"):
            assert wrong_login(port, "127.0.0.2", **{"X-Forwarded-For": forged}) == 429, forged
        assert wrong_login(port, "127.0.0.3") == 401  # another client: its own count, which no forgery touched


OTHER_USER = "nobody"
CONNECT = "import socket, sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])"


def test_the_instances_listen_only_on_unix_sockets_no_other_user_can_reach(balanced):
    """Proxy trust by address: an instance trusts X-Forwarded-For (TRUSTED_PROXIES=1), so nothing but HAProxy may
    reach it. No instance process has a TCP port, their sockets are in a 0700 folder of ours, and another local
    user's connect is refused (run as `nobody` where this test runs as root)."""
    for api in balanced.apis:
        processes = [psutil.Process(api.proc.pid), *psutil.Process(api.proc.pid).children(recursive=True)]
        assert [c.laddr for p in processes for c in p.net_connections("inet") if c.status == psutil.CONN_LISTEN] == []
        folder = api.uds.parent.stat()
        assert stat.S_IMODE(folder.st_mode) == 0o700 and folder.st_uid == os.getuid()
        assert direct(api, "/api/health", {}) == 200  # the socket works, for its owner
    if os.getuid() == 0 and shutil.which("python3", path="/usr/bin:/bin"):
        for api in balanced.apis:
            attempt = subprocess.run([shutil.which("python3", path="/usr/bin:/bin"), "-c", CONNECT, str(api.uds)],
                                     user=OTHER_USER, capture_output=True, text=True, timeout=10, cwd="/")
            assert attempt.returncode != 0 and "PermissionError" in attempt.stderr, attempt.stderr
