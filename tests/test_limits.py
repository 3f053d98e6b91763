"""Rate limits on password guessing (kernel/password_limits.py, worn by the views: backend/methods/rate_limits.py): per
username on failures, per client on attempts, 429 + Retry-After."""

import collections
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from backend.methods import REGISTRY
from kernel.stores.keys import LIMITS_PREFIX
from tests.helpers import basic_header

USER_LIMIT, CLIENT_LIMIT = 3, 5
RIGHT = {"alice": "wonderland", "bob": "builder", "zoë": "pässwörd", "admin": "admin-pass"}


def basic_attempt(client, username, password, headers=None):
    return client.get("/api/basic/me", headers={**basic_header(username, password), **(headers or {})})


def login_attempt(method):
    """A password sent to `method`'s JSON login."""

    def attempt(client, username, password, headers=None):
        return client.post(f"/api/{method}/login", json={"username": username, "password": password},
                           headers=headers or {})

    return attempt


session_attempt = login_attempt("session")


def logout_all_attempt(client, username, password, headers=None):
    """logout-all takes Basic credentials too: a guessing oracle unless it is limited like Basic."""
    return client.post("/api/logout-all", headers={**basic_header(username, password), **(headers or {})})


# Every way to present a password to the API: each registered method's login, Basic, and logout-all.
ATTEMPTS = {
    **{method.name: login_attempt(method.name) for method in REGISTRY if f"{method.name}.login" in method.passwords},
    "basic": basic_attempt,
    "logout-all": logout_all_attempt,
}


@pytest.fixture
def limited(make_app):
    """An app with small limits, and a test client on it."""
    return make_app(LOGIN_USER_LIMIT=f"{USER_LIMIT}/minute", LOGIN_CLIENT_LIMIT=f"{CLIENT_LIMIT}/minute").test_client()


def fail(client, attempt, username, times, headers=None):
    statuses = [attempt(client, username, "wrong password", headers).status_code for _ in range(times)]
    assert statuses == [401] * times


def assert_rate_limited(response, message):
    retry_after = response.headers.get("Retry-After", "")
    assert response.status_code == 429
    assert json.loads(response.text) == {"error": "rate_limited", "message": f"{message}; try again in {retry_after} s"}
    assert 1 <= int(retry_after) <= 60


@pytest.mark.parametrize("kind", ATTEMPTS)
def test_failures_lock_the_username_and_then_even_the_right_password_is_not_checked(limited, kind, hash_checks):
    attempt = ATTEMPTS[kind]
    fail(limited, attempt, "alice", USER_LIMIT)
    checked_before = len(hash_checks)
    response = attempt(limited, "alice", "wonderland")
    assert_rate_limited(response, "too many failed logins for this username")
    assert len(hash_checks) == checked_before  # the guess was never evaluated: a 429 confirms nothing


@pytest.mark.parametrize("kind", ATTEMPTS)
def test_another_user_is_unaffected(limited, kind):
    attempt = ATTEMPTS[kind]
    fail(limited, attempt, "alice", USER_LIMIT)
    assert attempt(limited, "bob", "builder").status_code == 200


@pytest.mark.parametrize("username", ["alice", "nobody"])
def test_unknown_names_are_locked_exactly_like_real_ones(limited, username):
    """Otherwise a 429 would tell an attacker which names exist."""
    fail(limited, session_attempt, username, USER_LIMIT)
    assert_rate_limited(session_attempt(limited, username, "anything"), "too many failed logins for this username")


def test_the_username_lock_is_shared_by_every_method(limited):
    fail(limited, session_attempt, "alice", USER_LIMIT - 1)
    fail(limited, basic_attempt, "alice", 1)
    assert_rate_limited(session_attempt(limited, "alice", "wonderland"), "too many failed logins for this username")


def test_zoe_written_decomposed_is_the_same_locked_name(limited):
    """NFC: `zoe` + combining diaeresis is the user zoë, so it shares her counter."""
    fail(limited, basic_attempt, "zoe\u0308", USER_LIMIT)
    assert_rate_limited(basic_attempt(limited, "zoë", "pässwörd"), "too many failed logins for this username")


@pytest.mark.parametrize("kind", ATTEMPTS)
def test_successes_do_not_count_against_the_username(limited, kind):
    statuses = [ATTEMPTS[kind](limited, "bob", "builder").status_code for _ in range(USER_LIMIT + 1)]
    assert statuses == [200] * (USER_LIMIT + 1)


def test_every_login_attempt_counts_per_client(limited):
    statuses = [session_attempt(limited, name, RIGHT[name]).status_code
                for name in ["alice", "bob", "zoë", "admin", "alice"]]
    assert statuses == [200] * CLIENT_LIMIT
    assert_rate_limited(session_attempt(limited, "bob", "builder"), "too many login attempts from this address")


def test_basic_failures_count_per_client(limited):
    for name in ["u1", "u2", "u3", "u4", "u5"]:  # different names: the per-username lock never trips
        fail(limited, basic_attempt, name, 1)
    assert_rate_limited(basic_attempt(limited, "bob", "builder"), "too many login attempts from this address")


@pytest.mark.parametrize("kind", ["basic", "logout-all", "session"])
def test_right_passwords_spend_the_clients_hash_budget_too(limited, kind, hash_checks):
    """Finding 4: a right password is a hash as much as a wrong one; over the budget nothing more is hashed."""
    statuses = [ATTEMPTS[kind](limited, "bob", "builder").status_code for _ in range(CLIENT_LIMIT)]
    assert statuses == [200] * CLIENT_LIMIT and len(hash_checks) == CLIENT_LIMIT
    assert_rate_limited(ATTEMPTS[kind](limited, "bob", "builder"), "too many login attempts from this address")
    assert len(hash_checks) == CLIENT_LIMIT


def test_basic_and_logins_share_one_hash_budget(limited):
    statuses = [ATTEMPTS[kind](limited, "bob", "builder").status_code
                for kind in ["basic", "token", "basic", "jwt", "basic"]]
    assert statuses == [200] * CLIENT_LIMIT
    assert_rate_limited(basic_attempt(limited, "alice", "wonderland"), "too many login attempts from this address")


def test_basic_challenge_without_credentials_never_counts(limited, redis_db):
    statuses = [limited.get("/api/basic/me").status_code for _ in range(CLIENT_LIMIT + 1)]
    assert statuses == [401] * (CLIENT_LIMIT + 1)
    assert redis_db.keys(f"{LIMITS_PREFIX}*") == []


def test_a_locked_user_keeps_the_session_already_open(limited):
    """`me` never touches the limiter: a lockout stops guessing, not the sessions that exist."""
    assert session_attempt(limited, "alice", "wonderland").status_code == 200
    fail(limited, basic_attempt, "alice", USER_LIMIT)
    assert session_attempt(limited, "alice", "wonderland").status_code == 429
    assert limited.get("/api/session/me").status_code == 200


def test_session_me_reads_nothing_but_its_session(limited, redis_db):
    assert session_attempt(limited, "alice", "wonderland").status_code == 200
    redis_db.config_resetstat()
    assert limited.get("/api/session/me").status_code == 200
    commands = {name for name in redis_db.info("commandstats") if name not in ("cmdstat_config", "cmdstat_info")}
    assert commands == {"cmdstat_getex"}


@pytest.mark.parametrize(("trusted_proxies", "second_client_status"), [(0, 429), (1, 200)])
def test_x_forwarded_for_only_names_the_client_behind_a_trusted_proxy(make_app, trusted_proxies, second_client_status):
    """Untrusted, the header would let every request claim a fresh address and escape the per-client limit."""
    client = make_app(LOGIN_CLIENT_LIMIT="2/minute", TRUSTED_PROXIES=trusted_proxies).test_client()
    first = {"X-Forwarded-For": "203.0.113.7"}
    statuses = [session_attempt(client, "alice", "wonderland", first).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    second = session_attempt(client, "alice", "wonderland", {"X-Forwarded-For": "198.51.100.9"})
    assert second.status_code == second_client_status


def test_every_login_route_is_limited(app):
    """A login endpoint added later without `@rate_limited.login` fails here."""
    logins = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.endswith("/login")}
    worn = {endpoint: getattr(app.view_functions[endpoint], "password_from", None) for endpoint in logins}
    assert worn == dict.fromkeys(logins, "json")


@pytest.fixture
def limited_issuer(start_issuer):
    """An issuer process of the test's own, with the small limits."""
    return start_issuer(LOGIN_USER_LIMIT=f"{USER_LIMIT}/minute", LOGIN_CLIENT_LIMIT=f"{CLIENT_LIMIT}/minute")


def issuer_token(issuer, username, password):
    return requests.post(f"{issuer.origin}/token", json={"username": username, "password": password}, timeout=5)


def test_the_issuer_locks_a_username_after_failures_too(limited_issuer):
    """The third-party login, in its own process: same rules, same counters."""
    statuses = [issuer_token(limited_issuer, "alice", "guess").status_code for _ in range(USER_LIMIT)]
    assert statuses == [401] * USER_LIMIT
    assert_rate_limited(issuer_token(limited_issuer, "alice", "wonderland"), "too many failed logins for this username")
    assert issuer_token(limited_issuer, "bob", "builder").status_code == 200


def test_the_issuer_limits_every_attempt_per_client(limited_issuer):
    statuses = [issuer_token(limited_issuer, name, RIGHT[name]).status_code
                for name in ["alice", "bob", "zoë", "admin", "alice"]]
    assert statuses == [200] * CLIENT_LIMIT
    assert_rate_limited(issuer_token(limited_issuer, "bob", "builder"), "too many login attempts from this address")


def test_basic_pays_one_counting_script_and_one_refund_and_nothing_more(client, redis_db):
    """The documented price of throttling Basic: each attempt counted before the hash (one script over the four
    windows: two per name, two per client), and the per-name windows refunded after a right password (one pipeline
    of DECRs; the per-client budget keeps it)."""
    basic_attempt(client, "alice", "wonderland")  # opens the pool's connection and loads the script
    redis_db.config_resetstat()
    assert basic_attempt(client, "alice", "wonderland").status_code == 200
    stats = {name: value["calls"] for name, value in redis_db.info("commandstats").items()
             if name not in ("cmdstat_config", "cmdstat_info")}
    # two round trips: the script (INCR per window, EXPIRE on the refunded ones that start again at 1) and the refund
    assert stats == {"cmdstat_evalsha": 1, "cmdstat_incr": 4, "cmdstat_expire": 2, "cmdstat_decrby": 2}


@pytest.mark.parametrize("concurrent", [30, 50])
def test_concurrent_wrong_passwords_never_get_more_than_the_limit_of_hash_checks(start_api, concurrent):
    """Counted before the hash, atomically: the n-th of N simultaneous guesses sees n, so only 10 are checked."""
    api = start_api(workers=2, LOGIN_USER_LIMIT="10/minute", LOGIN_CLIENT_LIMIT="1000/minute")
    url = f"http://{api.host}:{api.port}/api/session/login"
    barrier = threading.Barrier(concurrent)

    def guess(i):
        barrier.wait()
        return requests.post(url, json={"username": "alice", "password": f"guess {i}"}, timeout=30).status_code

    with ThreadPoolExecutor(concurrent) as pool:
        statuses = collections.Counter(pool.map(guess, range(concurrent)))
    assert statuses == {401: 10, 429: concurrent - 10}  # every 401 is one hash check; a 429 never hashes


def test_the_issuer_and_the_api_share_the_username_lock(make_app, start_issuer):
    """A user locked at the API is locked at the issuer too (and back): one counter, one Redis."""
    api = make_app(LOGIN_USER_LIMIT=f"{USER_LIMIT}/minute").test_client()
    shared = start_issuer(LOGIN_USER_LIMIT=f"{USER_LIMIT}/minute")  # on the API's Redis, as under `make run`
    fail(api, session_attempt, "alice", USER_LIMIT - 1)
    assert issuer_token(shared, "alice", "guess").status_code == 401
    assert_rate_limited(issuer_token(shared, "alice", "wonderland"), "too many failed logins for this username")
    assert_rate_limited(session_attempt(api, "alice", "wonderland"), "too many failed logins for this username")


def test_guesses_counted_in_memory_during_an_outage_still_count_when_redis_returns(make_app, own_redis):
    """Item 7: the outage's failures are added to Redis when it answers again, so the lock comes at the same guess."""
    app = make_app(REDIS_URL=own_redis.url, LOGIN_USER_LIMIT="3/minute")
    client, counters = app.test_client(), app.extensions["authlab.limits"]
    own_redis.stop()
    outage = [basic_attempt(client, "admin", f"guess {i}").status_code for i in range(2)]  # counted in memory
    own_redis.start()
    counters.redis_out_until = 0.0  # controlled time: the fallback's seconds are over
    after = [basic_attempt(client, "admin", f"guess {i}").status_code for i in range(2, 4)]
    assert outage == [401, 401] and after == [401, 429]
    assert counters.memory.counts == {}
