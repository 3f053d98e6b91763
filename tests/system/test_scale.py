"""`make bench`'s scale run, small: two API instances, every request alternating between them.

The notes: sessions are "stateful" and a "challenge to support multiple servers". With one shared
Redis they hold across both servers and a Redis restart; kept in each process, half the requests fail.
"""

from bench import scale
from bench.methods import METHODS

REDIS_BACKED = [m for m in METHODS if m.key in ("session", "token", "jwt")]
SESSION = [m for m in METHODS if m.key == "session"]


def pair(*services):
    return [(service.host, service.port) for service in services]


# Two instances of one API (as behind a load balancer) share its public origin: our JWTs' `iss`.
ONE_API = {"API_ORIGIN": "http://localhost:8000"}


def test_shared_redis_holds_across_two_servers_and_a_redis_restart(start_api, own_redis):
    servers = pair(*(start_api(REDIS_URL=own_redis.url, **ONE_API) for _ in range(2)))
    result = scale.run(REDIS_BACKED, servers, users=2, per_method=100, restart=lambda: scale.restart_redis(own_redis))
    all_ok = {"requests": 100, "ok": 100, "auth_failures": 0, "unavailable": 0, "other": 0, "auth_failure_rate": 0.0}
    assert result["methods"] == {m.key: all_ok for m in REDIS_BACKED}
    restart = result["redis_restart"]
    assert restart["keys_after"] == restart["keys_before"]
    assert {prefix: restart["keys_before"].get(prefix) for prefix in ("session", "token", "jwt")} == {
        "session": 2, "token": 2, "jwt": 2,  # one record per user and method (jwt: the refresh family)
    }


def test_in_process_sessions_fail_whenever_the_other_server_answers(start_api):
    servers = pair(*(start_api(SESSION_STORE="memory", **ONE_API) for _ in range(2)))  # one worker each
    result = scale.run(SESSION, servers, users=2, per_method=100)
    assert result["methods"]["session"]["auth_failures"] == 50  # every request to the server that did not log in
