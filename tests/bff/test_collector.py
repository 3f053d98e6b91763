"""The attacker's collector: it takes what a script sends, uses it against the real API at once and later, records
each attempt (what, status, why refused) without the secret, forgets it all after its TTL, and is off without demos."""

import base64
import hashlib
import json

import pytest
import requests

from tests.bff.conftest import FRONTEND_A, run_due


def collect(client, **body):
    return client.post("/collect", json={"run": "r1", **body})


def records(client, run="r1"):
    response = client.get(f"/records?run={run}")
    assert response.status_code == 200
    return response.get_json()


def test_a_stolen_access_token_works_at_once_and_after_the_delays_until_it_is_logged_out(make_collector, api,
                                                                                          fresh_api_token):
    api_token = fresh_api_token
    app = make_collector()
    client = app.test_client()
    response = collect(client, kind="access_token", access_token=api_token["access_token"], payload="5.1.1")
    assert response.status_code == 201
    first = response.get_json()["attempt"]
    assert (first["status"], first["worked"], first["trigger"], first["how"]) == (200, True, "at once",
                                                                                 "GET /api/jwt/me")
    received = first["at"]
    assert run_due(app, received + 29) == 0  # nothing due yet
    assert run_due(app, received + 30) == 1  # the page is long closed: the token still works
    logout = requests.post(f"{api.origin}/api/jwt/logout", headers={"Authorization": f"Bearer "
                                                                    f"{api_token['access_token']}"}, timeout=5)
    assert logout.status_code == 204
    assert run_due(app, received + 120) == 1
    [item] = records(client)["items"]
    assert [(a["after"], a["status"]) for a in item["attempts"]] == [(0.0, 200), (30.0, 200), (120.0, 401)]
    assert item["worked_until"] == received + 30
    assert item["refused"]["status"] == 401 and item["refused"]["error"] == "invalid_token"
    assert (item["kind"], item["payload"]) == ("access_token", "5.1.1")
    digest = hashlib.sha256(api_token["access_token"].encode()).hexdigest()[:12]
    assert item["fingerprint"] == f"sha256:{digest}"


def test_records_and_answers_never_carry_the_stolen_value(make_collector, api_token):
    client = make_collector().test_client()
    answer = collect(client, kind="access_token", access_token=api_token["access_token"])
    shown = answer.get_data(as_text=True) + json.dumps(records(client))
    assert api_token["access_token"] not in shown
    assert api_token["access_token"].split(".")[2] not in shown  # not even its signature


def test_on_demand_replay_uses_everything_once_more(make_collector, api_token):
    client = make_collector().test_client()
    collect(client, kind="access_token", access_token=api_token["access_token"])
    collect(client, kind="proxied", status=200, body={"user": "alice"})
    response = client.post("/replay?run=r1")
    assert response.status_code == 200
    assert [(a["item"], a["trigger"], a["status"]) for a in response.get_json()["attempts"]] == [
        (0, "on demand", 200)]  # the proxied result came from the page: nothing of it to replay


def test_a_proxied_result_is_recorded_as_an_attempt_through_the_open_page(make_collector):
    client = make_collector().test_client()
    assert client.get("/commands?run=r1").get_json() == {
        "commands": [{"id": "me", "method": "GET", "path": "/api/jwt/me"}]}
    response = collect(client, kind="proxied", status=401, body={"error": "unauthorized", "message": "x"})
    assert response.status_code == 201
    [item] = records(client)["items"]
    assert [(a["trigger"], a["status"], a["worked"], a["error"]) for a in item["attempts"]] == [
        ("through the open page", 401, False, "unauthorized")]


def test_the_silent_flows_challenge_is_s256_of_a_verifier_the_collector_keeps(make_collector, redis_db):
    client = make_collector().test_client()
    answer = client.get("/pkce?run=r1").get_json()
    verifier = redis_db.get("collector:{r1}:verifier")
    assert answer["code_challenge_method"] == "S256" and len(verifier) >= 43
    expected = hashlib.sha256(verifier).digest()
    assert answer["code_challenge"] == base64.urlsafe_b64encode(expected).rstrip(b"=").decode()
    assert client.get("/pkce?run=r1").get_json() == answer  # one verifier per run


def test_nothing_outlives_the_ttl_and_no_attempt_is_planned_past_it(make_collector, redis_db, api_token):
    app = make_collector(COLLECTOR_TTL=100, COLLECTOR_DELAYS="30,120")
    client = app.test_client()
    client.get("/pkce?run=r1")
    collect(client, kind="access_token", access_token=api_token["access_token"])
    run_keys = redis_db.keys("collector:{r1}:*")
    assert {k.decode() for k in run_keys} == {f"collector:{{r1}}:{p}" for p in ("deadline", "items", "attempts",
                                                                                 "verifier")}
    assert all(0 < redis_db.ttl(key) <= 100 for key in run_keys)
    assert [m.split()[-1] for m in redis_db.zrange("collector:due", 0, -1)] == [b"30"]  # 120 s is past the TTL


@pytest.mark.parametrize(("body", "status", "error"), [
    ({"kind": "access_token", "access_token": "x", "run": "../etc"}, 400, "invalid_request"),
    ({"kind": "access_token", "access_token": "x", "run": 7}, 400, "invalid_request"),
    ({"kind": "password", "password": "x"}, 400, "invalid_request"),
    ({"kind": "access_token"}, 400, "invalid_request"),
    ({"kind": "access_token", "access_token": "x" * 9000}, 400, "invalid_request"),
    ({"kind": "refresh_token", "refresh_token": "x", "client_id": "authlab-bff-a"}, 400, "invalid_request"),
    ({"kind": "cookies", "cookies": "a=b", "site": "http://evil.example"}, 400, "invalid_request"),
    ({"kind": "proxied", "status": "200"}, 400, "invalid_request"),
])
def test_bad_input_is_the_apis_json_error(make_collector, body, status, error):
    response = make_collector().test_client().post("/collect", json={"run": "r1", **body})
    assert response.status_code == status
    assert response.get_json()["error"] == error


def test_a_form_post_is_415_and_a_bad_run_on_records_400(make_collector):
    client = make_collector().test_client()
    assert client.post("/collect", data={"run": "r1"}).status_code == 415
    assert client.get("/records?run=a%20b").get_json()["error"] == "invalid_request"


def test_any_page_may_send_without_credentials(make_collector):
    client = make_collector().test_client()
    preflight = client.options("/collect", headers={"Origin": FRONTEND_A, "Access-Control-Request-Method": "POST",
                                                    "Access-Control-Request-Headers": "content-type"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in preflight.headers


@pytest.mark.parametrize("path", ["/collect", "/records?run=r1", "/pkce?run=r1", "/commands?run=r1", "/replay?run=r1"])
def test_without_the_demo_options_the_collector_is_not_there(make_collector, path):
    client = make_collector(DEMO_COOKIE_OPTIONS=False).test_client()
    response = client.open(path, method="POST" if path.startswith(("/collect", "/replay")) else "GET", json={})
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_the_cookies_a_script_can_read_open_no_bff_session_though_a_server_forges_header_and_origin(make_collector,
                                                                                                   bff_a_process):
    client = make_collector().test_client()
    response = collect(client, kind="cookies", cookies="theme=dark", site="a", payload="5.1.1")
    assert response.status_code == 201
    attempt = response.get_json()["attempt"]
    assert (attempt["status"], attempt["worked"], attempt["error"]) == (401, False, "unauthorized")
    assert attempt["how"] == "GET BFF /bff/api/jwt/me with the readable cookies"


def test_the_collector_process_tries_again_by_itself_after_its_delay(redis_service, redis_db, api, api_token,
                                                                     tmp_path):
    """The one real-time test of the schedule: a collector served as `make run` serves it, a delay of 1 s."""
    import time

    from stack import procs

    port = procs.free_port()
    env = {"REDIS_URL": redis_service.url, "API_ORIGIN": api.origin, "COLLECTOR_DELAYS": "1", "COLLECTOR_ORIGIN":
           f"http://127.0.0.1:{port}"}
    with procs.collector(port, env, log=tmp_path / "collector.log"):
        origin = f"http://127.0.0.1:{port}"
        sent = requests.post(f"{origin}/collect", timeout=5,
                             json={"run": "r1", "kind": "access_token", "access_token": api_token["access_token"]})
        assert sent.status_code == 201
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            [item] = requests.get(f"{origin}/records?run=r1", timeout=5).json()["items"]
            if len(item["attempts"]) == 2:
                break
            time.sleep(0.1)
    assert [(a["trigger"], a["status"]) for a in item["attempts"]] == [("at once", 200), ("after 1 s", 200)]
    assert 1 <= item["attempts"][1]["after"] < 3
