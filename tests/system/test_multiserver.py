"""The notes: sessions are a "challenge to support multiple servers". Two API processes, one login."""

import pytest
import requests

LOGIN = {"username": "alice", "password": "wonderland"}


def url(service, path):
    return f"http://{service.host}:{service.port}{path}"


@pytest.mark.parametrize(("store", "on_the_other_server"), [("redis", 200), ("memory", 401)])
def test_notes_sessions_across_two_servers_need_a_shared_store(start_api, store, on_the_other_server):
    one, two = start_api(SESSION_STORE=store), start_api(SESSION_STORE=store)
    with requests.Session() as browser:
        assert browser.post(url(one, "/api/session/login"), json=LOGIN, timeout=5).status_code == 200
        assert browser.get(url(one, "/api/session/me"), timeout=5).status_code == 200
        response = browser.get(url(two, "/api/session/me"), timeout=5)
    assert response.status_code == on_the_other_server
