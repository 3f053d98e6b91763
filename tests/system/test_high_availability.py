"""More than one API instance behind a real load balancer (HAProxy), and a Redis that fails over under load."""

import collections

import pytest
import requests

from stack import load_balancer
from stack.environment import api_environment
from tests.conftest import SECRET
from tests.helpers import bearer

LOGIN = {"username": "alice", "password": "wonderland"}


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


def test_two_instances_behind_the_balancer_serve_every_method_without_one_auth_failure(balanced):
    """200 requests alternate between instances: a session, an opaque token and a chain of JWT refresh rotations
    made on one instance hold on the other; no request fails."""
    burst = Burst(balanced.url)
    csrf = burst.call("login", "POST", "/api/session/login", burst.browser, json=LOGIN).json()["csrf_token"]
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
        direct = f"http://localhost:{api.port}"
        assert burst.browser.get(f"{direct}/api/session/me", timeout=5).status_code == 401
        assert requests.get(f"{direct}/api/token/me", headers=bearer(token), timeout=5).status_code == 401
        assert requests.get(f"{direct}/api/jwt/me", headers=bearer(pair["access_token"]), timeout=5).status_code == 401


def test_the_balancer_takes_a_dead_instance_out_and_answers_json(balanced):
    """One instance stopped: every request still succeeds on the other; both stopped: HAProxy's 503 is JSON."""
    balanced.apis[0].stop()
    answers = [requests.get(balanced.url + "/api/health", timeout=5) for _ in range(10)]
    assert [r.status_code for r in answers] == [200] * 10  # retried on the live one (option redispatch)
    balanced.apis[1].stop()
    answer = requests.get(balanced.url + "/api/health", timeout=5)
    assert answer.status_code in (502, 503) and answer.headers["Content-Type"] == "application/json"
    assert answer.json()["error"] == "upstream_unavailable" and answer.headers["Retry-After"]
