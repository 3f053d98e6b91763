"""Page B's own /api/: its static server passes every request to the API and every answer back, cookies included."""

import pytest
import requests

from stack import procs
from stack.environment import api_environment
from tests.conftest import SECRET
from tests.helpers import SESSION_COOKIE

ALICE = {"username": "alice", "password": "wonderland"}


@pytest.fixture(scope="module")
def proxied(redis_service, tmp_path_factory):
    """The API, page B's server in front of it, and page A's server (which has no proxy), on free ports."""
    logs = tmp_path_factory.mktemp("proxy")
    api, a, b = (procs.free_port() for _ in range(3))
    origin_b = f"http://127.0.0.1:{b}"
    env = api_environment(api, redis_service.url, SECRET, lenient_limits=True,
                          FRONTEND_A_ORIGIN=f"http://localhost:{a}", FRONTEND_B_ORIGIN=origin_b)
    services = [procs.api(api, env, workers=1, log=logs / "api.log"),
                procs.frontend("frontend_b", b, env, log=logs / "b.log"),
                procs.frontend("frontend_a", a, env, log=logs / "a.log")]
    try:
        for service in services:
            service.start()
        yield {"api": f"http://localhost:{api}", "b": origin_b, "a": f"http://localhost:{a}"}
    finally:
        for service in reversed(services):
            service.stop()


def test_a_session_works_through_b_own_api(proxied):
    """Method, JSON body, Origin, Set-Cookie back and Cookie forward: a session login, me and logout via B's /api/."""
    jar = requests.Session()
    jar.headers["Origin"] = proxied["b"]
    login = jar.post(proxied["b"] + "/api/session/login", json=ALICE, timeout=10)
    assert login.status_code == 200, login.text
    assert SESSION_COOKIE in jar.cookies
    assert "HttpOnly" in login.headers["Set-Cookie"] and "SameSite=Lax" in login.headers["Set-Cookie"]
    me = jar.get(proxied["b"] + "/api/session/me", timeout=10)
    assert (me.status_code, me.json()["user"]) == (200, "alice")
    logout = jar.post(proxied["b"] + "/api/session/logout", headers={"X-CSRF-Token": login.json()["csrf_token"]},
                      timeout=10)
    assert logout.status_code == 204
    assert jar.get(proxied["b"] + "/api/session/me", timeout=10).status_code == 401


def test_the_api_answer_passes_unchanged(proxied):
    """Status, JSON error body, WWW-Authenticate and the query string arrive as the API sent them."""
    direct = requests.get(proxied["api"] + "/api/token/me?x=1", timeout=10)
    through = requests.get(proxied["b"] + "/api/token/me?x=1", timeout=10)
    assert (through.status_code, through.json()) == (direct.status_code, direct.json()) == (401, direct.json())
    assert through.headers["WWW-Authenticate"] == direct.headers["WWW-Authenticate"]
    missing = requests.get(proxied["b"] + "/api/no-such-thing", timeout=10)
    assert (missing.status_code, missing.headers["Content-Type"]) == (404, "application/json")
    assert set(missing.json()) == {"error", "message"}


def test_a_foreign_origin_is_still_refused(proxied):
    """The proxy adds no trust: the API's own Origin check still refuses a login posted from another site."""
    login = requests.post(proxied["b"] + "/api/session/login", json=ALICE, headers={"Origin": "http://evil.test"},
                          timeout=10)
    assert login.status_code == 403 and login.json()["error"] == "origin_not_allowed"


def test_only_b_proxies_and_the_page_knows(proxied):
    """A's server has no /api/; B's config names its own origin as the API behind the proxy."""
    assert requests.get(proxied["a"] + "/api/health", timeout=10).status_code == 404
    assert f'"apiProxy": "{proxied["b"]}"' in requests.get(proxied["b"] + "/config.js", timeout=10).text
    assert '"apiProxy": null' in requests.get(proxied["a"] + "/config.js", timeout=10).text


def test_a_serves_the_look_from_the_apis_own_site(proxied):
    """The small page B opens in a window of its own to ask where its cookie was kept lives on A, the API's site."""
    look = requests.get(proxied["a"] + "/first-party-look", timeout=10)
    assert look.status_code == 200 and look.headers["Content-Type"].startswith("text/html")
    assert '<script type="module" src="/shared/first_party_look.js"></script>' in look.text
    assert requests.get(proxied["b"] + "/first-party-look", timeout=10).status_code == 404


def test_an_api_that_is_down_is_a_json_502(tmp_path):
    """No API behind the proxy: the contract's JSON error, never an HTML page or a hang."""
    port, dead = procs.free_port(), procs.free_port()
    env = {"API_ORIGIN": f"http://localhost:{dead}", "FRONTEND_B_ORIGIN": f"http://127.0.0.1:{port}"}
    with procs.frontend("frontend_b", port, env, log=tmp_path / "b.log"):
        answer = requests.get(f"http://127.0.0.1:{port}/api/health", timeout=10)
    assert (answer.status_code, answer.json()["error"]) == (502, "api_unreachable")
